// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// safetensors: 8-byte little-endian header length, JSON header, raw little-endian data.
// The reader memory-maps the file and hands out zero-copy views; every header field is
// validated before any view exists.
#include "optiscope/core/result.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace optiscope::core {

enum class DType { F32, F16, BF16, I8, U8, I32 };

std::size_t dtypeSize(DType dtype);
const char* dtypeName(DType dtype); // "F32", "F16", ...

// A view into a mapped file; valid while the owning SafetensorsFile (or a copy of its
// shared mapping) lives.
struct TensorView {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::span<const std::byte> bytes;
    std::int64_t elementCount() const;
};

// Converts any floating dtype (F32/F16/BF16) or integer dtype to float32 values.
std::vector<float> toFloat32(const TensorView& view);

class SafetensorsFile {
public:
    static constexpr std::uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

    static Result<SafetensorsFile> open(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return m_path; }
    const std::vector<TensorView>& tensors() const { return m_tensors; } // sorted by name
    const TensorView* find(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }

private:
    std::filesystem::path m_path;
    std::shared_ptr<const void> m_mapping; // keeps the mmap alive; views point into it
    std::vector<TensorView> m_tensors;
    std::map<std::string, std::string> m_metadata;
};

// One or more safetensors files forming one checkpoint: a folder with model.safetensors,
// or model.safetensors.index.json ("weight_map": tensor name -> shard file).
class Checkpoint {
public:
    // folder may also name a single .safetensors file. With an index, only the tensors its
    // weight_map lists are visible, and each shard is mapped once.
    static Result<Checkpoint> open(const std::filesystem::path& folder);
    const TensorView* find(const std::string& name) const;
    std::vector<const TensorView*> tensors() const; // sorted by name

private:
    std::vector<std::shared_ptr<SafetensorsFile>> m_files;
    std::map<std::string, const TensorView*> m_index;
};

struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::span<const std::byte> bytes; // little-endian, elementCount × dtypeSize bytes
};

// Writes to "<path>.tmp-XXXX" in the same folder, flushes, then renames over path.
Result<void> writeSafetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
    const std::map<std::string, std::string>& metadata = {});

} // namespace optiscope::core
