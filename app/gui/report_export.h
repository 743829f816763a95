// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// File > Export Report...: asks for a file name (.html, or .pdf for the PDF), builds the session report
// off the GUI thread behind a cancellable progress dialog, writes it atomically, and shows errors in
// a message box. Returns at once; the dialog lives until the job ends.
#include "session.h"

class QWidget;

namespace optiscope::gui {

void exportSessionReport(QWidget* parent, const SessionState& session, const QString& sessionFile);

// The work behind it, without dialogs (tests call it): "" on success, else the one-line error.
QString writeSessionReport(const SessionState& session, const QString& sessionFile, const QString& htmlPath,
    const QString& pdfPath);

} // namespace optiscope::gui
