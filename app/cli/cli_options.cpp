// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "cli_options.h"

#include <filesystem>

namespace optiscope::cli {

std::expected<ScannedArgs, CliFailure> scanOptions(const std::vector<std::string>& args, const CommandOptions& options)
{
    ScannedArgs scanned;
    for (std::size_t i = 1; i < args.size(); ++i) {
        std::string arg = args[i];
        std::optional<std::string> inlineValue;
        if (arg.starts_with("--") && arg.find('=') != std::string::npos) {
            inlineValue = arg.substr(arg.find('=') + 1);
            arg.resize(arg.find('='));
        }
        if (arg == "--help" || arg == "-h") {
            scanned.help = true;
            return scanned;
        }
        if (const auto flag = options.flags.find(arg); flag != options.flags.end() && !inlineValue) {
            *flag->second = true;
            continue;
        }
        if (const auto handler = options.values.find(arg); handler != options.values.end()) {
            if (!inlineValue && i + 1 >= args.size()) {
                return usageError("option " + arg + " needs a value (see --help)");
            }
            if (auto ok = handler->second(inlineValue ? *inlineValue : args[++i]); !ok) {
                return std::unexpected(ok.error());
            }
            continue;
        }
        if (arg.starts_with("-") && arg != "-") {
            return usageError(options.command + ": unknown option '" + arg + "' (see --help)");
        }
        scanned.positional.push_back(arg);
    }
    return scanned;
}

CliResult checkOutTarget(const std::string& out, bool overwrite, bool wantsFolder)
{
    namespace fs = std::filesystem;
    const fs::path target(out);
    std::error_code ec;
    const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    if (!fs::is_directory(parent, ec)) {
        return inputError(out + ": --out: parent folder " + parent.string() + " does not exist");
    }
    const auto status = fs::symlink_status(target, ec);
    if (fs::exists(status) && !overwrite) {
        return inputError(out + ": --out: already exists (pass --overwrite to replace it)");
    }
    if (fs::exists(status) && fs::is_directory(status) != wantsFolder) {
        return inputError(out + ": --out: exists and is " + (wantsFolder ? "not a folder" : "a folder"));
    }
    return {};
}

ValueHandler storeIn(std::optional<std::string>& target)
{
    return [&target](const std::string& value) -> std::expected<void, CliFailure> {
        target = value;
        return {};
    };
}

ValueHandler storeIn(std::string& target)
{
    return [&target](const std::string& value) -> std::expected<void, CliFailure> {
        target = value;
        return {};
    };
}

} // namespace optiscope::cli
