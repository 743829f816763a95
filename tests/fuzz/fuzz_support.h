// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Shared by the fuzz targets: parsers that only take a path get the input through a per-process file in
// /dev/shm (memory-backed, so a run costs no disk I/O).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>

namespace optiscope::fuzz {

inline std::filesystem::path scratchDir()
{
    static const std::filesystem::path dir = [] {
        std::error_code ec;
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
            ? std::filesystem::path("/dev/shm")
            : std::filesystem::temp_directory_path();
        auto path = base / ("optiscope-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(path, ec);
        return path;
    }();
    return dir;
}

// Writes the input as dir/name and returns the path (an existing file of that name is replaced).
inline std::filesystem::path writeScratch(const std::string& name, const std::uint8_t* data, std::size_t size)
{
    const auto path = scratchDir() / name;
    if (std::FILE* file = std::fopen(path.c_str(), "wb")) {
        if (size > 0) {
            std::fwrite(data, 1, size, file);
        }
        std::fclose(file);
    }
    return path;
}

inline std::string_view asText(const std::uint8_t* data, std::size_t size)
{
    return { reinterpret_cast<const char*>(data), size };
}

} // namespace optiscope::fuzz
