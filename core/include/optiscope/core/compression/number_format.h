// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Floating-point formats emulated bit-exactly from float32, round to nearest, ties to even.
// FP16 and BF16 follow IEEE 754 (overflow gives ±inf, NaN stays NaN). FP8 follows the OCP 8-bit
// floating point spec (E4M3: bias 7, no infinities, S.1111.111 is NaN, max 448; E5M2: bias 15,
// IEEE-like with infinities, max 57344) in saturating mode: finite values and ±inf beyond the
// largest finite value become ±max; NaN stays NaN. TF32 (NVIDIA, 1-8-10) is float32 with the low
// 13 mantissa bits rounded off (ties to even): same exponent range, subnormals and specials as
// float32; a finite value rounding past the largest TF32 value gives ±inf; NaN keeps its top
// payload bits with the quiet bit set; its code is the 19-bit sign.exponent.mantissa pattern.
#include <cstdint>

namespace optiscope::core {

std::uint16_t encodeFp16(float value);
float decodeFp16(std::uint16_t bits);
std::uint16_t encodeBf16(float value);
float decodeBf16(std::uint16_t bits);
std::uint8_t encodeFp8E4M3(float value);
float decodeFp8E4M3(std::uint8_t bits);
std::uint8_t encodeFp8E5M2(float value);
float decodeFp8E5M2(std::uint8_t bits);
std::uint32_t encodeTf32(float value); // 19 bits: sign << 18 | exponent << 10 | mantissa
float decodeTf32(std::uint32_t bits);

// decode(encode(value)) without the bit pattern.
float roundToFp16(float value);
float roundToBf16(float value);
float roundToFp8E4M3(float value);
float roundToFp8E5M2(float value);
float roundToTf32(float value);

} // namespace optiscope::core
