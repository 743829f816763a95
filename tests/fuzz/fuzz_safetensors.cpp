// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// safetensors: the whole file through SafetensorsFile::open (length prefix, header JSON, offsets against the
// real data size), then every accepted tensor converted to float32 so views are read end to end.
#include "fuzz_support.h"

#include "optiscope/core/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace optiscope;
    const auto path = fuzz::writeScratch("model.safetensors", data, size);
    auto file = core::SafetensorsFile::open(path);
    if (file) {
        for (const core::TensorView& view : file->tensors()) {
            const auto values = core::toFloat32(view);
            if (static_cast<std::int64_t>(values.size()) != view.elementCount()) {
                __builtin_trap(); // a view that disagrees with its own shape is a parser defect
            }
        }
    }
    return 0;
}
