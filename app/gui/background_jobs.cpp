// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "background_jobs.h"

namespace optiscope::gui {

BackgroundJobs::BackgroundJobs(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<std::uint64_t>("std::uint64_t");
    // One worker: jobs run in order and the engine's own TBB threads get the cores.
    m_pool.setMaxThreadCount(1);
    connect(
        this, &BackgroundJobs::jobFailed, this,
        [this](std::uint64_t generation, const QString& message, bool wasCancelled) {
            if (finishJob(generation)) {
                if (wasCancelled) {
                    emit cancelled();
                } else {
                    emit failed(message);
                }
            }
        },
        Qt::QueuedConnection);
    connect(
        this, &BackgroundJobs::jobProgress, this,
        [this](std::uint64_t generation, double fraction) {
            if (generation == m_generation && m_busy) {
                emit progressChanged(fraction);
            }
        },
        Qt::QueuedConnection);
}

BackgroundJobs::~BackgroundJobs() { stopWorker(); }

void BackgroundJobs::stopWorker()
{
    cancel();
    m_pool.waitForDone();
}

void BackgroundJobs::cancel()
{
    if (m_cancel) {
        m_cancel->cancel();
    }
}

std::uint64_t BackgroundJobs::startJob(const QString& what, double initialProgress)
{
    cancel(); // superseded
    m_cancel = std::make_shared<core::CancelToken>();
    ++m_generation;
    m_busy = true;
    emit busyChanged(true, what);
    emit progressChanged(initialProgress);
    return m_generation;
}

bool BackgroundJobs::finishJob(std::uint64_t generation)
{
    if (generation != m_generation) {
        return false;
    }
    if (m_busy) {
        m_busy = false;
        emit busyChanged(false, {});
    }
    return true;
}

} // namespace optiscope::gui
