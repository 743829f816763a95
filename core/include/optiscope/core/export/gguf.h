// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// GGUF export (llama.cpp's format, version 3, little endian) of a compressed GPT-2, following
// ggml's docs/gguf.md: header, typed metadata (architecture "gpt2" with the keys llama.cpp reads,
// the byte-level BPE vocabulary and merges), tensor infos, data aligned to general.alignment.
// Tensor names and layouts are those of llama.cpp's convert_hf_to_gguf.py for GPT2LMHeadModel:
// Conv1D weights ([in, out] in the checkpoint) are transposed to rows of output features, so
// dims[0] (ne0, innermost) is the input dimension and quantization blocks run along it. A tied
// LM head writes no output.weight (llama.cpp then reuses token_embd). tst_gguf_llama loads the
// files into llama.cpp itself and compares its tokens and logits with ours.
//
// What is written: the values inference uses (masks applied, recipe quantization dequantized).
// 2-D tensors get GgufOptions::weightType; 1-D tensors (norms, biases) stay F32. A 2-D tensor
// whose row (ne0) is not a multiple of 32 cannot be block-quantized and is written as F16 when
// Q8_0 or Q4_0 was asked for (GgufTensorReport::fellBack).
//
// Information loss: F32 is exact. F16 rounds each value to binary16 (recipe formats of 16 bits
// or fewer — int8, fp16, fp8, ternary, binary — are held to within fp16 rounding). Q8_0/Q4_0
// store one fp16 scale d per 32 consecutive input features: value = d·q, q in [-128, 127] (Q8_0)
// or q − 8 with q in [0, 15] (Q4_0). When the recipe's own grid (an int/ternary/binary scale that
// is constant over the 32 elements) fits the block's integer range, d is that scale and the
// recipe's values survive up to fp16 rounding of the scale; otherwise the block is requantized
// with the reference rule (Q8_0: d = max|x|/127; Q4_0: d = m/−8 with m the value of largest
// magnitude), which adds up to d/2 of error (Q4_0: up to d on the side opposite m, where +8 is
// clamped to 7). Requantizing to a coarser format than the recipe used (fp32 or int8 to Q4_0) is
// the user's choice and allowed; a tensor the recipe quantized to no more bits than the GGUF type
// holds (e.g. ternary in groups of 16, or asymmetric int4, to Q4_0) must come out within
// kGgufLosslessTolerance of its block (F16: row) maximum, else the export is refused unless
// allowLossyRequantization is set.
#include "optiscope/core/result.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace optiscope::core {

class CompressedModel;

// ggml_type ids as stored in a tensor info.
enum class GgufTensorType : std::uint32_t { F32 = 0, F16 = 1, Q4_0 = 2, Q8_0 = 8 };

inline constexpr std::uint32_t kGgufVersion = 3;
inline constexpr int kGgufBlockElements = 32; // Q8_0 and Q4_0 block length
inline constexpr std::size_t kGgufQ8_0BlockBytes = 2 + 32; // fp16 d, 32 × int8
inline constexpr std::size_t kGgufQ4_0BlockBytes = 2 + 16; // fp16 d, 32 × 4-bit
// Largest |exported − compressed| allowed, relative to the block's max |value|, for tensors the
// recipe quantized to no more bits than the GGUF type: fp16 rounding of a scale or value is at
// most 2^-11 relative, so twice that.
inline constexpr double kGgufLosslessTolerance = 1.0 / 1024.0;

struct GgufOptions {
    GgufTensorType weightType = GgufTensorType::F16; // 2-D tensors (embeddings, linear weights)
    bool overwrite = false; // false: an existing target is an error
    std::uint32_t alignment = 32; // general.alignment; a positive multiple of 8
    bool allowLossyRequantization = false; // see the header comment
    std::string name; // general.name; the model folder's name when empty
};

struct GgufTensorReport {
    std::string name; // GGUF name, e.g. "blk.0.attn_qkv.weight"
    std::string sourceName; // Hugging Face name, e.g. "transformer.h.0.attn.c_attn.weight"
    GgufTensorType type = GgufTensorType::F32;
    std::vector<std::uint64_t> dims; // ne0 (innermost) first
    std::uint64_t offset = 0; // relative to the data section
    std::uint64_t bytes = 0;
    double maxAbsError = 0; // exported vs the values inference uses
    std::int64_t blocksOnRecipeGrid = 0; // Q8_0/Q4_0 blocks encoded with the recipe's own scale
    std::int64_t blocks = 0;
    bool fellBack = false; // Q8_0/Q4_0 asked, row not a multiple of 32: written as F16
};

struct GgufExportReport {
    std::vector<GgufTensorReport> tensors; // in file order
    std::uint64_t fileBytes = 0;
};

// Writes the GGUF atomically (temp + rename). Errors (one line, naming the file and the field or
// tensor): the target exists and !overwrite, a bad alignment, a model that is not GPT-2 or has no
// GPT-2 BPE tokenizer (vocab.json + merges.txt or tokenizer.json), an activation other than tanh
// GELU (llama.cpp's gpt2 graph has no other), non-finite values in a block-quantized tensor, a
// recipe the type cannot hold (see above), I/O failures. Nothing is left behind on error.
Result<void> writeGguf(const CompressedModel& model, const std::filesystem::path& out, const GgufOptions& options,
    GgufExportReport* report = nullptr);

// "f32", "f16", "q8_0", "q4_0" (case-insensitive) ↔ type; errors name the accepted values.
Result<GgufTensorType> parseGgufTensorType(std::string_view text);
const char* ggufTensorTypeName(GgufTensorType type); // "F32", "F16", "Q8_0", "Q4_0"

// The reference block encoders (exposed for tests). Q8_0: d = max|x|/127, q = round(x/d) (half
// away from zero), bytes = fp16(d) little endian then 32 int8. Q4_0: m = the element of largest
// magnitude (the first one on ties), d = m/−8, q = clamp(round(x/d) + 8, 0, 15), bytes = fp16(d)
// then 16 bytes, byte j = q[j] | q[j + 16] << 4. An all-zero block has q = 0 (Q8_0) or 8 (Q4_0)
// and d = +0 (Q8_0) or −0 (Q4_0: 0 / −8, fp16 0x8000, as ggml's reference quantizer writes it).
// q is computed with d before its rounding to fp16. (ggml's own Q4_0 quantizer rounds ties up,
// floor(x/d + 8.5); a file decodes by d·(q − 8) whichever rule chose q.)
std::array<std::byte, kGgufQ8_0BlockBytes> encodeGgufQ8_0Block(std::span<const float, kGgufBlockElements> x);
std::array<std::byte, kGgufQ4_0BlockBytes> encodeGgufQ4_0Block(std::span<const float, kGgufBlockElements> x);

} // namespace optiscope::core
