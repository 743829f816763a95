// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Moves model loading and inference off the GUI thread. Lives in the GUI thread; one worker
// thread runs jobs in order. A newer request supersedes (and cancels) an older one: results
// of superseded generations are dropped, never emitted.
#include "run_snapshot.h"

#include "optiscope/core/cancel.h"

#include <QObject>
#include <QThreadPool>

#include <atomic>
#include <memory>

namespace optiscope::gui {

class Runner : public QObject {
    Q_OBJECT
public:
    explicit Runner(QObject* parent = nullptr);
    ~Runner() override; // cancels and waits for the worker

    void loadModel(const QString& folder);
    // Runs on the current model; fails with a message if none is loaded.
    void run(RunRequest request);
    // Later runs use this model (e.g. a compressed one built on the loaded model) instead of the
    // loaded one; nullptr goes back to the loaded model. Loading a model resets it.
    void setRunModel(std::shared_ptr<const core::Model> model) { m_runModel = std::move(model); }
    // Cancels the current job; it ends with cancelled().
    void cancel();

    bool isBusy() const { return m_busy; }
    bool isLoading() const { return m_busy && m_loading; } // the current job loads a model
    const std::shared_ptr<const ModelSnapshot>& model() const { return m_model; }

signals:
    void busyChanged(bool busy, const QString& what);
    void progressChanged(double fraction); // < 0: unknown
    void modelLoaded(std::shared_ptr<const optiscope::gui::ModelSnapshot> model);
    void runFinished(std::shared_ptr<const optiscope::gui::RunSnapshot> snapshot);
    void failed(const QString& message); // one line from the engine
    void cancelled();

    // Worker → GUI thread, queued.
    void jobLoaded(std::uint64_t generation, std::shared_ptr<const optiscope::gui::ModelSnapshot> model);
    void jobRan(std::uint64_t generation, std::shared_ptr<const optiscope::gui::RunSnapshot> snapshot);
    void jobFailed(std::uint64_t generation, const QString& message, bool wasCancelled);
    void jobProgress(std::uint64_t generation, double fraction);

private:
    std::uint64_t startJob(const QString& what);
    void finishJob(std::uint64_t generation);

    QThreadPool m_pool;
    std::uint64_t m_generation = 0; // GUI thread only
    std::shared_ptr<core::CancelToken> m_cancel;
    std::shared_ptr<const ModelSnapshot> m_model;
    std::shared_ptr<const core::Model> m_runModel;
    bool m_busy = false;
    bool m_loading = false;
};

} // namespace optiscope::gui
