// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "cli_common.h"

#include <QtGlobal>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

// The error contract is exactly one line on stderr; an engine message with a newline in it
// must not break that.
std::string oneLine(std::string message)
{
    for (char& c : message) {
        if (c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    return message;
}

int fail(const optiscope::cli::CliFailure& failure)
{
    std::cerr << "optiscope-cli: " << oneLine(failure.message) << std::endl;
    return failure.exitCode;
}

// Qt's image plugins may warn on stderr (e.g. libpng on odd chunks); keep stderr for our one line.
void quietQtMessages(QtMsgType, const QMessageLogContext&, const QString&) { }

} // namespace

int main(int argc, char** argv)
{
    using namespace optiscope::cli;
    qInstallMessageHandler(quietQtMessages);
    try {
        const std::vector<std::string> args(argv + 1, argv + argc);
        auto parsed = parseCommandLine(args);
        if (!parsed) {
            return fail(parsed.error());
        }
        CliResult result;
        switch (parsed->command) {
        case Command::Help:
            std::cout << helpText();
            return kExitOk;
        case Command::Version:
            std::cout << "optiscope-cli " << OPTISCOPE_VERSION << '\n';
            return kExitOk;
        case Command::Info:
            result = runInfo(parsed->info);
            break;
        case Command::Run:
            result = runRun(parsed->run);
            break;
        case Command::Simulate:
            result = runSimulate(parsed->simulate);
            break;
        case Command::Sensitivity:
            result = runSensitivity(parsed->sensitivity);
            break;
        case Command::Export:
            result = runExport(parsed->exportOptions);
            break;
        case Command::Compress:
            result = runCompress(parsed->compress);
            break;
        case Command::Sweep:
            result = runSweep(parsed->sweep);
            break;
        case Command::Report:
            result = runReport(parsed->report);
            break;
        case Command::Probe:
            result = runProbe(parsed->probe);
            break;
        case Command::Eval:
            result = runEval(parsed->eval);
            break;
        }
        if (!result) {
            return fail(result.error());
        }
        return kExitOk;
    } catch (const std::bad_alloc&) {
        return fail({ kExitBadInput, "out of memory" });
    } catch (const std::exception& e) {
        return fail({ kExitBadInput, std::string("internal error: ") + e.what() });
    }
}
