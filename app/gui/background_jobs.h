// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// What every off-GUI-thread job runner of the window shares (model loading and runs, evaluation): one
// worker thread running jobs in order, a generation per request so that a newer request supersedes
// (and cancels) an older one and results of superseded generations are dropped, busy/progress
// signals for the status bar, and failures as one line. Subclasses start a job with startJob(), run
// it on pool() with cancelToken(), and report from the worker with the queued job* signals (their
// own success signal carries the result).
#include "optiscope/core/cancel.h"

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <cstdint>
#include <memory>

namespace optiscope::gui {

class BackgroundJobs : public QObject {
    Q_OBJECT
public:
    explicit BackgroundJobs(QObject* parent = nullptr);
    ~BackgroundJobs() override;

    // Cancels the current job; it ends with cancelled().
    void cancel();
    bool isBusy() const { return m_busy; }

signals:
    void busyChanged(bool busy, const QString& what);
    void progressChanged(double fraction); // < 0: unknown
    void failed(const QString& message); // one line from the engine
    void cancelled();

    // Worker → GUI thread, queued; dropped unless generation is the current one.
    void jobFailed(std::uint64_t generation, const QString& message, bool wasCancelled);
    void jobProgress(std::uint64_t generation, double fraction);

protected:
    // Supersedes the running job, announces the new one (busyChanged, progressChanged(initialProgress))
    // and returns its generation.
    std::uint64_t startJob(const QString& what, double initialProgress);
    // On the GUI thread, when a job's result arrives: false for a superseded generation; otherwise ends
    // the busy state and returns true (the caller then emits the result).
    bool finishJob(std::uint64_t generation);
    QThreadPool& pool() { return m_pool; }
    const std::shared_ptr<core::CancelToken>& cancelToken() const { return m_cancel; }
    // Cancels and waits for the worker; subclass destructors call it before their members go away.
    void stopWorker();

private:
    QThreadPool m_pool;
    std::uint64_t m_generation = 0; // GUI thread only
    std::shared_ptr<core::CancelToken> m_cancel;
    bool m_busy = false;
};

} // namespace optiscope::gui
