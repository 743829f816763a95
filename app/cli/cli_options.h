// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The option loop every command shares: "--name value" and "--name=value" for valued options,
// bare flags, --help/-h, unknown options refused, the rest positional. A value handler may refuse
// its value with a usage error (e.g. "--seed: 'x' is not a non-negative integer").
#include "cli_common.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace optiscope::cli {

using ValueHandler = std::function<std::expected<void, CliFailure>(const std::string& value)>;

struct CommandOptions {
    std::string command; // names the command in errors: "export: unknown option ..."
    std::map<std::string, bool*> flags;
    std::map<std::string, ValueHandler> values;
};

struct ScannedArgs {
    bool help = false; // --help or -h: the caller shows the usage
    std::vector<std::string> positional;
};

// args[0] is the command itself.
std::expected<ScannedArgs, CliFailure> scanOptions(const std::vector<std::string>& args, const CommandOptions& options);

// A handler storing the value (the last one given wins).
ValueHandler storeIn(std::optional<std::string>& target);
ValueHandler storeIn(std::string& target);

} // namespace optiscope::cli
