// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Geometry of the 3D views without GL, on hand-made data whose answers are counted by hand: voxel faces
// culled between drawn neighbours (one voxel = 6 quads, two stacked = 10), idle PEs drawn only in the
// current cycle, state colours copied exactly; attention slices leave out cells under 2 % of the maximum.
#include "attention_volume_scene.h"
#include "pe_activity_scene.h"

#include <QTest>

#include <vtkCellData.h>
#include <vtkPolyData.h>
#include <vtkUnsignedCharArray.h>

using namespace optiscope::widgets;

namespace {
const std::vector<QColor> kColors { QColor(0xdd, 0xdd, 0xdd), QColor(0x4e, 0x79, 0xa7), QColor(0x59, 0xa1, 0x4f),
    QColor(0xf2, 0x8e, 0x2b), QColor(0xe1, 0x57, 0x59) };

PeActivityData grid(int rows, int cols, int cycles, int current)
{
    PeActivityData d;
    d.arrayRows = d.gridRows = rows;
    d.arrayCols = d.gridCols = cols;
    d.cycles = cycles;
    d.currentSlice = current;
    d.states.assign(std::size_t(rows) * cols * cycles, 0);
    return d;
}
} // namespace

class TestScenes3d : public QObject {
    Q_OBJECT
private slots:
    void voxelFacesAreCulled();
    void idleIsDrawnOnlyNow();
    void attentionSlicesSkipTinyCells();
};

void TestScenes3d::voxelFacesAreCulled()
{
    // 3 x 3 PEs, 4 cycles, the current slice outside the voxels under test (slice 3, all idle: 9 voxels).
    PeActivityData d = grid(3, 3, 4, 3);
    d.states[(0 * 3 + 1) * 3 + 1] = 2; // one MAC voxel at slice 0, PE (1, 1)
    PeActivityScene one = buildPeActivityScene(d, kColors);
    // The idle slice is a 3 x 3 x 1 slab: 2 x 9 top/bottom + 4 x 3 sides = 30 quads; the lone voxel 6.
    QCOMPARE(one.quads, 30 + 6);
    QCOMPARE(one.drawnVoxels, 9 + 1);
    QCOMPARE(one.voxelsPerState[2], 1);
    QCOMPARE(one.voxelsPerState[0], 4 * 9 - 1);
    d.states[(1 * 3 + 1) * 3 + 1] = 3; // draining on top of it, slice 1: two stacked voxels, 10 faces
    PeActivityScene two = buildPeActivityScene(d, kColors);
    QCOMPARE(two.quads, 30 + 10);
    // Stacked onto the current slice (slice 2 under slice 3): the shared face is hidden too.
    d.states[(2 * 3 + 1) * 3 + 1] = 2;
    PeActivityScene touching = buildPeActivityScene(d, kColors);
    QCOMPARE(touching.quads, 30 - 1 + 14 - 1);
    // Colours are the legend's, byte for byte: every quad is one of the five.
    auto* rgb = vtkUnsignedCharArray::SafeDownCast(touching.voxels->GetCellData()->GetScalars());
    QVERIFY(rgb);
    QCOMPARE(int(rgb->GetNumberOfTuples()), touching.quads);
    int orange = 0;
    for (vtkIdType i = 0; i < rgb->GetNumberOfTuples(); ++i) {
        const QColor c(rgb->GetValue(3 * i), rgb->GetValue(3 * i + 1), rgb->GetValue(3 * i + 2));
        QVERIFY(std::find(kColors.begin(), kColors.end(), c) != kColors.end());
        orange += c == kColors[3];
    }
    QCOMPARE(orange, 4); // the draining voxel shows only its four sides
}

void TestScenes3d::idleIsDrawnOnlyNow()
{
    PeActivityData d = grid(2, 2, 5, 2);
    const PeActivityScene scene = buildPeActivityScene(d, kColors);
    QCOMPARE(scene.drawnVoxels, 4); // the four idle PEs of the current cycle, nothing else
    QVERIFY(scene.currentFrame->GetNumberOfLines() == 2);
    d.currentSlice = -1; // no current cycle in the window: nothing idle is drawn
    QCOMPARE(buildPeActivityScene(d, kColors).drawnVoxels, 0);
    d.states.pop_back(); // inconsistent sizes: an empty scene, not a crash
    QCOMPARE(buildPeActivityScene(d, kColors).quads, 0);
}

void TestScenes3d::attentionSlicesSkipTinyCells()
{
    AttentionData data;
    data.layers = 2;
    data.heads = 3;
    data.tokens = 4;
    data.values.assign(std::size_t(2 * 3 * 4 * 4), 0.0f);
    for (int l = 0; l < 2; ++l) {
        for (int h = 0; h < 3; ++h) {
            for (int q = 0; q < 4; ++q) {
                // Causal rows: q + 1 keys; one tiny value (1 % of the max) among them in every row but the first.
                float* row = data.values.data() + ((std::size_t(l) * 3 + h) * 4 + q) * 4;
                for (int k = 0; k <= q; ++k) {
                    row[k] = k == 0 && q > 0 ? 0.01f : 1.0f / float(q + 1);
                }
            }
        }
    }
    data.tokenLabels = { "a", "b", "c", "d" };
    QVERIFY(data.isValid());
    // Per slice: 10 causal cells, 3 of them tiny (< 2 % of max 1.0).
    const AttentionVolumeScene heads = buildAttentionVolumeScene(data, AttentionStack::HeadsOfLayer, 1);
    QCOMPARE(heads.slices, 3);
    QCOMPARE(heads.quads, 3 * 7);
    QCOMPARE(heads.maxValue, 1.0);
    QCOMPARE(heads.outlines->GetNumberOfLines(), vtkIdType(3));
    const AttentionVolumeScene layers = buildAttentionVolumeScene(data, AttentionStack::LayersOfHead, 2);
    QCOMPARE(layers.slices, 2);
    QCOMPARE(layers.quads, 2 * 7);
    QCOMPARE(buildAttentionVolumeScene(data, AttentionStack::LayersOfHead, 3).slices, 0); // no head 3
}

QTEST_MAIN(TestScenes3d)
#include "tst_scenes_3d.moc"
