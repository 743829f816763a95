// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include <atomic>
#include <functional>

namespace optiscope::core {

// Shared between a caller on another thread and an engine call; the engine polls it per chunk.
struct CancelToken {
    std::atomic<bool> cancelled { false };
    void cancel() { cancelled.store(true, std::memory_order_relaxed); }
    bool isCancelled() const { return cancelled.load(std::memory_order_relaxed); }
};

// fraction in [0, 1]; called from the engine's thread.
using ProgressCallback = std::function<void(double fraction)>;

} // namespace optiscope::core
