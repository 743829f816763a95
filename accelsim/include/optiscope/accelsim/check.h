// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Broken invariants abort with file and line, in release builds too. Identical to core's macro, guarded so
// a translation unit may include both.
#include <cstdio>
#include <cstdlib>

#ifndef OPTISCOPE_CHECK
#define OPTISCOPE_CHECK(cond)                                                                                          \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);                          \
            std::abort();                                                                                              \
        }                                                                                                              \
    } while (false)
#endif
