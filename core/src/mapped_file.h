// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Read-only memory map of a whole file (RAII over mmap/munmap). Move-only.
#include "optiscope/core/result.h"

#include <cstddef>
#include <filesystem>
#include <span>

namespace optiscope::core {

class MappedFile {
public:
    static Result<MappedFile> open(const std::filesystem::path& path);

    MappedFile() = default;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    // Empty for a zero-length file (mmap cannot map zero bytes).
    std::span<const std::byte> bytes() const { return { static_cast<const std::byte*>(m_data), m_size }; }

private:
    void reset();

    void* m_data = nullptr;
    std::size_t m_size = 0;
};

} // namespace optiscope::core
