# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# The real main window under Xvfb (scripts/test.sh runs ctest inside xvfb-run): OpenGL/VTK included.
optiscope_add_tests(gui gui optiscope::gui)
vtk_module_autoinit(TARGETS tst_main_window MODULES ${VTK_LIBRARIES})
vtk_module_autoinit(TARGETS tst_compression_panel MODULES ${VTK_LIBRARIES})
vtk_module_autoinit(TARGETS tst_accelerator_panel MODULES ${VTK_LIBRARIES})
vtk_module_autoinit(TARGETS tst_views_3d tst_item_models MODULES ${VTK_LIBRARIES})
vtk_module_autoinit(TARGETS tst_tensor_inspector MODULES ${VTK_LIBRARIES})
vtk_module_autoinit(TARGETS tst_session MODULES ${VTK_LIBRARIES})
vtk_module_autoinit(TARGETS tst_lessons MODULES ${VTK_LIBRARIES})
vtk_module_autoinit(TARGETS tst_sweep_panel MODULES ${VTK_LIBRARIES})
vtk_module_autoinit(TARGETS tst_sensitivity_panel MODULES ${VTK_LIBRARIES})
# File ▸ Open Sample and Model ▸ Evaluate; compares the GUI's numbers with the CLI's.
vtk_module_autoinit(TARGETS tst_sample_picker MODULES ${VTK_LIBRARIES})
target_compile_definitions(tst_sample_picker PRIVATE OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>")
add_dependencies(tst_sample_picker optiscope-cli)
