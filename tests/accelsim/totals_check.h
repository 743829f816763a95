// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Stepped totals against analytic ones, field by field; shared by the accelsim tests.
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/stepper.h"

#include <QByteArray>

namespace totals_check {

// "" when every total the stepper adds up equals the analytic one, else the first field that differs.
inline QByteArray differences(
    const optiscope::accelsim::StepperLayerTotals& t, const optiscope::accelsim::LayerStats& a)
{
    struct Field {
        const char* name;
        std::int64_t stepped, analytic;
    };
    const Field fields[] = {
        { "reported cycles", t.reportedCycles, a.totalCycles },
        { "stepped cycles", t.steppedCycles, a.geometry.steppedCycles },
        { "stall cycles", t.stallCycles, a.stallCycles },
        { "ifmap SRAM reads", t.ifmapSramReads, a.ifmap.sramAccesses },
        { "filter SRAM reads", t.filterSramReads, a.filter.sramAccesses },
        { "ofmap SRAM writes", t.ofmapSramWrites, a.ofmap.sramAccesses },
        { "ifmap SRAM start", t.ifmapStart, a.ifmap.sramStartCycle },
        { "ifmap SRAM stop", t.ifmapStop, a.ifmap.sramStopCycle },
        { "filter SRAM start", t.filterStart, a.filter.sramStartCycle },
        { "filter SRAM stop", t.filterStop, a.filter.sramStopCycle },
        { "ofmap SRAM start", t.ofmapStart, a.ofmap.sramStartCycle },
        { "ofmap SRAM stop", t.ofmapStop, a.ofmap.sramStopCycle },
        { "ifmap DRAM reads", t.ifmapDramReads, a.ifmap.dramAccesses },
        { "filter DRAM reads", t.filterDramReads, a.filter.dramAccesses },
        { "ofmap DRAM writes", t.ofmapDramWrites, a.ofmap.dramAccesses },
    };
    for (const Field& f : fields) {
        if (f.stepped != f.analytic) {
            return QByteArray(f.name) + ": stepped " + QByteArray::number(qlonglong(f.stepped)) + ", analytic "
                + QByteArray::number(qlonglong(f.analytic));
        }
    }
    return {};
}

} // namespace totals_check
