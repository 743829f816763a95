// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli report: a session (or recipe + model + text) as a self-contained HTML report and a PDF.
#include "cli_common.h"
#include "cli_options.h"

#include "report_builder.h"
#include "report_writer.h"

#include <QGuiApplication>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <system_error>

#include <unistd.h>

namespace optiscope::cli {

namespace {

    namespace fs = std::filesystem;

    // Checked before any work so a bad path fails fast and nothing is written.
    CliResult checkOutFile(const std::string& path, const char* option, bool overwrite)
    {
        const fs::path out(path);
        std::error_code ec;
        const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
        if (!fs::is_directory(parent, ec)) {
            return inputError(path + ": " + option + ": parent folder " + parent.string() + " does not exist");
        }
        const auto status = fs::symlink_status(out, ec);
        if (fs::exists(status) && fs::is_directory(status)) {
            return inputError(path + ": " + option + ": is a folder");
        }
        if (fs::exists(status) && !overwrite) {
            return inputError(path + ": " + option + ": already exists (pass --overwrite to replace it)");
        }
        if (::access(parent.c_str(), W_OK) != 0) {
            return inputError(path + ": " + option + ": folder " + parent.string() + " is not writable");
        }
        return {};
    }

    // Chart text needs fonts and QPdfWriter a paint engine, both of which Qt only provides with a
    // QGuiApplication. The rest of the CLI has none (it must run without a display), so the report
    // makes one here, forced onto the offscreen platform: never a window, never a display connection.
    std::unique_ptr<QGuiApplication> ensureGuiApplication()
    {
        if (QCoreApplication::instance()) {
            return nullptr;
        }
        static int argc = 3;
        static char name[] = "optiscope-cli", platformOption[] = "-platform", platform[] = "offscreen";
        static char* argv[] = { name, platformOption, platform, nullptr };
        return std::make_unique<QGuiApplication>(argc, argv);
    }

    bool isRecipe(const std::string& source) { return fs::path(source).extension() == ".json"; }

} // namespace

std::expected<ParsedCommandLine, CliFailure> parseReport(const std::vector<std::string>& args)
{
    ParsedCommandLine parsed;
    parsed.command = Command::Report;
    ReportOptions& options = parsed.report;
    std::optional<std::string> out;
    auto scanned = scanOptions(args,
        { "report", { { "--overwrite", &options.overwrite }, { "--sensitivity", &options.sensitivity } },
            { { "--model", storeIn(options.modelDir) }, { "--text", storeIn(options.text) },
                { "--config", storeIn(options.config) }, { "--out", storeIn(out) }, { "--pdf", storeIn(options.pdf) },
                { "--sweep", storeIn(options.sweep) } } });
    if (!scanned) {
        return std::unexpected(scanned.error());
    }
    if (scanned->help) {
        return commandOnly(Command::Help);
    }
    const auto& positional = scanned->positional;
    if (positional.size() != 1) {
        return usageError("report: expected exactly one SESSION.optiscope or RECIPE.json argument, got "
            + std::to_string(positional.size()));
    }
    if (!out) {
        return usageError("report: --out is required");
    }
    options.source = positional.front();
    options.out = *out;
    if (isRecipe(options.source) && (!options.modelDir || !options.text)) {
        return usageError("report: a recipe needs --model and --text");
    }
    if (!isRecipe(options.source) && (options.modelDir || options.text)) {
        return usageError("report: --model and --text only apply with a RECIPE.json (a session names its own)");
    }
    if (options.pdf && fs::path(*options.pdf).lexically_normal() == fs::path(options.out).lexically_normal()) {
        return usageError("report: --out and --pdf name the same file '" + options.out + "'");
    }
    return parsed;
}

CliResult runReport(const ReportOptions& options)
{
    if (auto ok = checkOutFile(options.out, "--out", options.overwrite); !ok) {
        return ok;
    }
    if (options.pdf) {
        if (auto ok = checkOutFile(*options.pdf, "--pdf", options.overwrite); !ok) {
            return ok;
        }
    }
    const auto start = std::chrono::steady_clock::now();
    const QString source = QString::fromStdString(options.source);
    auto request = isRecipe(options.source)
        ? report::requestFromRecipe(
              source, QString::fromStdString(*options.modelDir), QString::fromStdString(*options.text))
        : report::requestFromSession(source);
    if (!request) {
        return inputError(request.error().message.toStdString());
    }
    if (options.config) {
        request->configFile = QString::fromStdString(*options.config);
    }
    request->forceSensitivity = options.sensitivity;
    if (options.sweep) {
        request->sweepFile = QString::fromStdString(*options.sweep);
    }
    const auto app = ensureGuiApplication();
    auto data = report::buildReport(*request);
    if (!data) {
        return inputError(data.error().message.toStdString());
    }
    const QString html = QString::fromStdString(options.out);
    const QString pdf = options.pdf ? QString::fromStdString(*options.pdf) : QString();
    if (const QString error = report::writeReport(**data, html, pdf); !error.isEmpty()) {
        return inputError(error.toStdString());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::error_code ec;
    std::cout << "wrote " << options.out << " (" << fs::file_size(options.out, ec) << " bytes)";
    if (options.pdf) {
        std::cout << " and " << *options.pdf << " (" << fs::file_size(*options.pdf, ec) << " bytes)";
    }
    char timing[96];
    std::snprintf(timing, sizeof timing, " in %.2f s (engine %.2f s)\n", seconds, (*data)->buildMs / 1000.0);
    std::cout << timing;
    return {};
}

} // namespace optiscope::cli
