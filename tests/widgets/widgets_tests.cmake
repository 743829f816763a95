# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Pure Qt Widgets tests on synthetic data: the offscreen platform is enough (no GL is shown).
optiscope_add_tests(widgets widgets optiscope::widgets)
vtk_module_autoinit(TARGETS tst_attention_heatmap tst_attention_summary tst_scenes_3d MODULES ${VTK_LIBRARIES})
set_tests_properties(tst_attention_heatmap tst_attention_summary tst_scenes_3d PROPERTIES ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
