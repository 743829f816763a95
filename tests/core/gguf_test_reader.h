// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A GGUF v3 reader for tests, written from ggml's docs/gguf.md alone and sharing no code with the
// writer: header, every metadata value type (arrays nested), tensor infos, alignment, and
// dequantization of F32, F16, Q8_0 and Q4_0 by the spec's formulas (its own fp16 decoder).
// Throws std::runtime_error on malformed input; tests catch it as a failure.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace optiscope::test::gguf {

enum ValueType : std::uint32_t {
    kU8 = 0,
    kI8 = 1,
    kU16 = 2,
    kI16 = 3,
    kU32 = 4,
    kI32 = 5,
    kF32 = 6,
    kBool = 7,
    kString = 8,
    kArray = 9,
    kU64 = 10,
    kI64 = 11,
    kF64 = 12,
};

struct Value {
    std::uint32_t type = kU8;
    // Integers (signed or not) widen into i, floats into f, strings into s; arrays into items.
    std::int64_t i = 0;
    std::uint64_t u = 0;
    double f = 0;
    std::string s;
    std::uint32_t itemType = 0; // arrays
    std::vector<Value> items;
};

struct TensorInfo {
    std::string name;
    std::vector<std::uint64_t> dims;
    std::uint32_t type = 0;
    std::uint64_t offset = 0; // relative to the data section
};

struct File {
    std::uint32_t version = 0;
    std::map<std::string, Value> kv;
    std::vector<std::string> keyOrder;
    std::vector<TensorInfo> tensors;
    std::uint64_t alignment = 32;
    std::uint64_t dataStart = 0; // absolute
    std::vector<unsigned char> bytes; // the whole file

    const TensorInfo* tensor(const std::string& name) const
    {
        for (const auto& t : tensors) {
            if (t.name == name) {
                return &t;
            }
        }
        return nullptr;
    }
};

// IEEE 754 binary16 → double: (-1)^s · 2^(e-15) · (1 + m/1024), subnormal 2^-14 · m/1024.
inline double halfValue(std::uint16_t h)
{
    const int sign = (h >> 15) & 1;
    const int exponent = (h >> 10) & 0x1F;
    const int mantissa = h & 0x3FF;
    double magnitude = 0;
    if (exponent == 0) {
        magnitude = std::ldexp(mantissa / 1024.0, -14);
    } else if (exponent == 31) {
        magnitude = mantissa == 0 ? INFINITY : NAN;
    } else {
        magnitude = std::ldexp(1.0 + mantissa / 1024.0, exponent - 15);
    }
    return sign ? -magnitude : magnitude;
}

class Cursor {
public:
    explicit Cursor(const std::vector<unsigned char>& bytes)
        : m_bytes(bytes)
    {
    }
    std::uint64_t position() const { return m_pos; }

    std::uint64_t le(int size)
    {
        need(static_cast<std::uint64_t>(size));
        std::uint64_t value = 0;
        for (int k = 0; k < size; ++k) {
            value |= static_cast<std::uint64_t>(m_bytes[m_pos + k]) << (8 * k);
        }
        m_pos += static_cast<std::uint64_t>(size);
        return value;
    }
    std::string str()
    {
        const std::uint64_t length = le(8);
        need(length);
        std::string text(reinterpret_cast<const char*>(m_bytes.data() + m_pos), length);
        m_pos += length;
        return text;
    }
    Value value(std::uint32_t type)
    {
        Value v;
        v.type = type;
        switch (type) {
        case kU8:
        case kU16:
        case kU32:
        case kU64: {
            const int size = type == kU8 ? 1 : type == kU16 ? 2 : type == kU32 ? 4 : 8;
            v.u = le(size);
            v.i = static_cast<std::int64_t>(v.u);
            v.f = static_cast<double>(v.u);
            break;
        }
        case kI8:
            v.i = static_cast<std::int8_t>(le(1));
            break;
        case kI16:
            v.i = static_cast<std::int16_t>(le(2));
            break;
        case kI32:
            v.i = static_cast<std::int32_t>(le(4));
            break;
        case kI64:
            v.i = static_cast<std::int64_t>(le(8));
            break;
        case kF32: {
            const auto bits = static_cast<std::uint32_t>(le(4));
            float f = 0;
            std::memcpy(&f, &bits, 4);
            v.f = f;
            break;
        }
        case kF64: {
            const std::uint64_t bits = le(8);
            std::memcpy(&v.f, &bits, 8);
            break;
        }
        case kBool: {
            const std::uint64_t b = le(1);
            if (b > 1) {
                throw std::runtime_error("bool value " + std::to_string(b));
            }
            v.i = static_cast<std::int64_t>(b);
            break;
        }
        case kString:
            v.s = str();
            break;
        case kArray: {
            v.itemType = static_cast<std::uint32_t>(le(4));
            const std::uint64_t count = le(8);
            if (count > m_bytes.size()) {
                throw std::runtime_error("array length " + std::to_string(count) + " exceeds the file");
            }
            v.items.reserve(count);
            for (std::uint64_t k = 0; k < count; ++k) {
                v.items.push_back(value(v.itemType));
            }
            break;
        }
        default:
            throw std::runtime_error("unknown value type " + std::to_string(type));
        }
        return v;
    }

private:
    void need(std::uint64_t size) const
    {
        if (size > m_bytes.size() || m_pos > m_bytes.size() - size) {
            throw std::runtime_error("truncated at byte " + std::to_string(m_pos));
        }
    }
    const std::vector<unsigned char>& m_bytes;
    std::uint64_t m_pos = 0;
};

inline File read(const std::filesystem::path& path)
{
    File file;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open " + path.string());
    }
    file.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    Cursor cursor(file.bytes);
    if (file.bytes.size() < 4 || std::memcmp(file.bytes.data(), "GGUF", 4) != 0) {
        throw std::runtime_error("bad magic");
    }
    cursor.le(4);
    file.version = static_cast<std::uint32_t>(cursor.le(4));
    const std::uint64_t tensorCount = cursor.le(8);
    const std::uint64_t kvCount = cursor.le(8);
    for (std::uint64_t k = 0; k < kvCount; ++k) {
        std::string key = cursor.str();
        const auto type = static_cast<std::uint32_t>(cursor.le(4));
        if (file.kv.count(key) != 0) {
            throw std::runtime_error("duplicate key " + key);
        }
        file.keyOrder.push_back(key);
        file.kv[key] = cursor.value(type);
    }
    if (auto it = file.kv.find("general.alignment"); it != file.kv.end()) {
        file.alignment = it->second.u;
    }
    for (std::uint64_t t = 0; t < tensorCount; ++t) {
        TensorInfo info;
        info.name = cursor.str();
        const auto dims = static_cast<std::uint32_t>(cursor.le(4));
        for (std::uint32_t d = 0; d < dims; ++d) {
            info.dims.push_back(cursor.le(8));
        }
        info.type = static_cast<std::uint32_t>(cursor.le(4));
        info.offset = cursor.le(8);
        file.tensors.push_back(info);
    }
    const std::uint64_t end = cursor.position();
    file.dataStart = end + (file.alignment - end % file.alignment) % file.alignment;
    return file;
}

inline std::uint64_t elementCount(const TensorInfo& info)
{
    std::uint64_t n = 1;
    for (auto d : info.dims) {
        n *= d;
    }
    return n;
}

// Bytes a tensor's data takes, by the spec's block sizes.
inline std::uint64_t byteSize(const TensorInfo& info)
{
    const std::uint64_t n = elementCount(info);
    switch (info.type) {
    case 0:
        return 4 * n;
    case 1:
        return 2 * n;
    case 8:
        return n / 32 * (2 + 32);
    case 2:
        return n / 32 * (2 + 16);
    default:
        throw std::runtime_error("unsupported tensor type " + std::to_string(info.type));
    }
}

inline const unsigned char* data(const File& file, const TensorInfo& info)
{
    if (file.dataStart + info.offset + byteSize(info) > file.bytes.size()) {
        throw std::runtime_error("tensor " + info.name + " runs past the end of the file");
    }
    return file.bytes.data() + file.dataStart + info.offset;
}

inline std::uint16_t u16At(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }

// Dequantized values in storage order (ne0 fastest). Q8_0: x = d·q. Q4_0: x = d·(q − 8), q of
// element j (< 16) the low nibble of byte j, of element j + 16 its high nibble.
inline std::vector<double> dequantize(const File& file, const TensorInfo& info)
{
    const unsigned char* p = data(file, info);
    const std::uint64_t n = elementCount(info);
    std::vector<double> out(n);
    switch (info.type) {
    case 0:
        for (std::uint64_t k = 0; k < n; ++k) {
            float f = 0;
            std::memcpy(&f, p + 4 * k, 4); // the test host is little endian, as the file
            out[k] = f;
        }
        break;
    case 1:
        for (std::uint64_t k = 0; k < n; ++k) {
            out[k] = halfValue(u16At(p + 2 * k));
        }
        break;
    case 8:
        for (std::uint64_t b = 0; b < n / 32; ++b) {
            const unsigned char* block = p + b * 34;
            const double d = halfValue(u16At(block));
            for (int j = 0; j < 32; ++j) {
                out[b * 32 + j] = d * static_cast<std::int8_t>(block[2 + j]);
            }
        }
        break;
    case 2:
        for (std::uint64_t b = 0; b < n / 32; ++b) {
            const unsigned char* block = p + b * 18;
            const double d = halfValue(u16At(block));
            for (int j = 0; j < 16; ++j) {
                out[b * 32 + j] = d * ((block[2 + j] & 0x0F) - 8);
                out[b * 32 + j + 16] = d * ((block[2 + j] >> 4) - 8);
            }
        }
        break;
    default:
        throw std::runtime_error("unsupported tensor type " + std::to_string(info.type));
    }
    return out;
}

// The fp16 scale of block b of a Q8_0 / Q4_0 tensor.
inline double blockScale(const File& file, const TensorInfo& info, std::uint64_t b)
{
    const std::uint64_t stride = info.type == 8 ? 34 : 18;
    return halfValue(u16At(data(file, info) + b * stride));
}

} // namespace optiscope::test::gguf
