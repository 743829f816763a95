// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Moves model loading and inference off the GUI thread. Lives in the GUI thread; one worker
// thread runs jobs in order. A newer request supersedes (and cancels) an older one: results
// of superseded generations are dropped, never emitted.
#include "background_jobs.h"
#include "run_snapshot.h"

#include <memory>

namespace optiscope::gui {

class Runner : public BackgroundJobs {
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
    bool isLoading() const { return isBusy() && m_loading; } // the current job loads a model
    const std::shared_ptr<const ModelSnapshot>& model() const { return m_model; }

signals:
    void modelLoaded(std::shared_ptr<const optiscope::gui::ModelSnapshot> model);
    void runFinished(std::shared_ptr<const optiscope::gui::RunSnapshot> snapshot);
    // Worker → GUI thread, queued.
    void jobLoaded(std::uint64_t generation, std::shared_ptr<const optiscope::gui::ModelSnapshot> model);
    void jobRan(std::uint64_t generation, std::shared_ptr<const optiscope::gui::RunSnapshot> snapshot);

private:
    std::shared_ptr<const ModelSnapshot> m_model;
    std::shared_ptr<const core::Model> m_runModel;
    bool m_loading = false;
};

} // namespace optiscope::gui
