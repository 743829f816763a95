// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The operand values at one PE in one cycle, when the layer carries its operands (Layer::operands). Same skewed
// timing as the PE states (pe_state.h, dataflow_model.h):
//  - OS: A[m][k] moves right along row r, B[k][n] moves down column c; PE(r, c) owns output (m, n) and holds its
//    running sum in psum (Mac), then the finished C[m][n] until it is drained (Draining).
//  - WS: B[k][n] is stationary from its preload cycle R-1-r to the end of the fold; A[m][k] moves right along the
//    row; psum is the partial sum PE(r, c) passes down: sum over the fold's rows 0..r of A[m][k]*B[k][n].
//  - IS: A[m][k] is stationary (same preload timing); B[k][n] moves right along the row; psum as in WS.
// Moving operands shift one PE per cycle: the value at (r, c) at cycle t is the one at (r, c-1) at t-1 (OS also
// (r-1, c) at t-1 for B). A WS / IS psum reaching the bottom row of the fold is that row fold's share of C[m][n].
// Sparse planes: a PE's slot holds one stored weight; k is its dense index, -1 for a padding slot (b == 0).
// Two int4 MACs per cycle (dualMac): the second pair is (a2, b2) at k2, -1 when absent.
#include <cstdint>

namespace optiscope::accelsim {

struct PeOperands {
    bool hasA = false;
    bool hasB = false;
    bool hasPsum = false;
    float a = 0; // ifmap element A[m][k]
    float b = 0; // filter element B[k][n]
    float psum = 0; // see above; accumulated in double, rounded once
    // The output element (m, n) of psum in the Mac (and OS Draining) state; outside it, a WS PE's n and an IS
    // PE's m still name the column / row of the stationary operand it holds. -1 when unknown.
    std::int64_t m = -1;
    std::int64_t n = -1;
    std::int64_t k = -1; // dense K index of a and b
    float a2 = 0;
    float b2 = 0;
    std::int64_t k2 = -1;
    // What the PE adds this cycle when it is in the Mac state: a*b (+ a2*b2).
    double product() const
    {
        return (k >= 0 ? double(a) * double(b) : 0.0) + (k2 >= 0 ? double(a2) * double(b2) : 0.0);
    }
};

} // namespace optiscope::accelsim
