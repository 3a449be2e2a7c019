// erphost: a small stand-in ERP that loads plugins and calls their operations.
#include "ConsoleServer.h"
#include "ConsoleUsers.h"
#include "HostConfig.h"
#include "PluginHost.h"

#include <Poco/Environment.h>
#include <Poco/FileStream.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/StreamCopier.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#include <sqlite3.h>

namespace {

enum Exit { Ok = 0, OperationFailed = 1, Usage = 2, Setup = 3 };

const char* kUsage =
    "usage: erphost [--config FILE] COMMAND\n"
    "\n"
    "commands:\n"
    "  modules                          list each plugin's modules and whether they run\n"
    "  ops [--json]                     list operations (--json: with parameter schemas)\n"
    "  call OP --as USER [--json JSON]  run an operation as USER; JSON is an object,\n"
    "                                   @FILE reads it from a file, - from standard input;\n"
    "      --repeat N                   run it N times in the same process and print each\n"
    "                                   run's own time to standard error (the last answer\n"
    "                                   goes to standard output)\n"
    "  serve [--http ADDRESS:PORT]      keep the plugins running (their workers send and\n"
    "                                   fetch) until SIGINT or SIGTERM; --http also serves\n"
    "                                   the web console there (loopback only without TLS)\n"
    "  passwd USER                      set USER's console password (read from the terminal\n"
    "                                   or one line of standard input)\n"
    "  help                             this text and the operation catalogue\n"
    "\n"
    "FILE defaults to $ERPHOST_CONFIG, then ./erphost.ini.\n";

std::string pretty(const std::string& jsonText)
{
    try {
        Poco::JSON::Parser parser;
        std::ostringstream out;
        Poco::JSON::Stringifier::stringify(parser.parse(jsonText), out, 2);
        return out.str();
    } catch (const Poco::Exception&) {
        return jsonText;
    }
}

const char* stateName(erphost::ModuleState s)
{
    switch (s) {
    case erphost::ModuleState::Disabled: return "disabled";
    case erphost::ModuleState::Running: return "running";
    case erphost::ModuleState::Refused: return "refused";
    case erphost::ModuleState::Failed: return "failed";
    }
    return "?";
}

void printLoadErrors(const erphost::PluginHost& host)
{
    for (const auto& e : host.loadErrors()) std::cerr << "erphost: " << e << '\n';
}

int listModules(erphost::PluginHost& host)
{
    std::size_t pluginWidth = 6, moduleWidth = 6;
    for (const auto& m : host.modules()) {
        pluginWidth = std::max(pluginWidth, m->plugin.size());
        moduleWidth = std::max(moduleWidth, m->id.size());
    }
    const int pw = static_cast<int>(pluginWidth + 2), mw = static_cast<int>(moduleWidth + 2);
    std::cout << std::left << std::setw(pw) << "PLUGIN" << std::setw(mw) << "MODULE" << std::setw(9) << "ENABLED"
              << std::setw(10) << "STATE" << "DETAILS\n";
    for (const auto& m : host.modules()) {
        std::string details = m->reason.empty() ? m->summary : m->reason;
        if (m->reason.empty() && !m->dependencies.empty()) {
            std::string deps;
            for (const auto& d : m->dependencies) deps += (deps.empty() ? "" : ", ") + d;
            details += " (needs " + deps + ")";
        }
        std::cout << std::setw(pw) << m->plugin << std::setw(mw) << m->id << std::setw(9)
                  << (host.config().moduleEnabled(m->plugin, m->id) ? "yes" : "no") << std::setw(10)
                  << stateName(m->state) << details << '\n';
    }
    return host.modules().empty() ? Setup : Ok;
}

int listOperations(erphost::PluginHost& host, bool asJson)
{
    if (asJson) {
        Poco::JSON::Stringifier::stringify(host.catalogue(), std::cout, 2);
        std::cout << '\n';
        return Ok;
    }
    for (const auto& [name, op] : host.operations())
        std::cout << std::left << std::setw(28) << name << std::setw(12) << op.permission << op.summary << '\n';
    return Ok;
}

std::string readParams(const std::string& arg)
{
    if (arg == "-") {
        std::string text;
        Poco::StreamCopier::copyToString(std::cin, text);
        return text;
    }
    if (!arg.empty() && arg[0] == '@') {
        Poco::FileInputStream in(arg.substr(1));
        std::string text;
        Poco::StreamCopier::copyToString(in, text);
        return text;
    }
    return arg;
}

} // namespace

int main(int argc, char** argv)
{
    // The process is the host's, and so is SQLite's process-wide setup (the
    // SQLite ODBC driver and any other user share one library): without
    // memory statistics, allocations take no process-wide lock, which the
    // console's threads reading through the driver would queue on. erphost
    // reads no such statistics and sets no heap limit.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string configPath = Poco::Environment::get("ERPHOST_CONFIG", "erphost.ini");
    std::string command, operation, user, params = "{}", httpAddress;
    bool asJson = false, help = false;
    int repeat = 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) {
                std::cerr << "erphost: " << a << " needs a value\n" << kUsage;
                std::exit(Usage);
            }
            return args[++i];
        };
        if (a == "--config") configPath = value();
        else if (a == "--as") user = value();
        else if (a == "--repeat") {
            try {
                repeat = std::stoi(value());
            } catch (const std::exception&) {
                repeat = 0;
            }
            if (repeat < 1) {
                std::cerr << "erphost: --repeat needs a count of 1 or more\n" << kUsage;
                return Usage;
            }
        }
        else if (a == "--json") {
            if (command == "ops") asJson = true;
            else params = value();
        } else if (a == "--help" || a == "-h" || a == "help") help = true;
        else if (command.empty()) command = a;
        else if (a == "--http") httpAddress = value();
        else if ((command == "call" || command == "passwd") && operation.empty()) operation = a;
        else {
            std::cerr << "erphost: unexpected argument '" << a << "'\n" << kUsage;
            return Usage;
        }
    }
    if (command.empty() && !help) {
        std::cerr << kUsage;
        return Usage;
    }

    try {
        erphost::HostConfig config;
        try {
            config = erphost::HostConfig::load(configPath);
        } catch (const erphost::ConfigError& e) {
            if (help) {
                std::cout << kUsage << "\n(no operation catalogue: " << e.what() << ")\n";
                return Ok;
            }
            std::cerr << "erphost: " << e.what() << '\n';
            return Setup;
        }
        if (command == "passwd") {
            if (operation.empty()) {
                std::cerr << "erphost: passwd needs a user\n" << kUsage;
                return Usage;
            }
            return erphost::passwdCommand(config, operation);
        }
        if (!httpAddress.empty() && command != "serve") {
            std::cerr << "erphost: --http goes with serve only\n" << kUsage;
            return Usage;
        }
        // One-shot commands end at once: plugins start no background work
        // (outbox, fetching) unless the configuration says otherwise.
        if (!config.settings.count("erp.host.background"))
            config.settings["erp.host.background"] = command == "serve" ? "yes" : "no";
        sigset_t signals;
        if (command == "serve") {
            // Blocked before any plugin thread starts, so that only sigwait sees them.
            sigemptyset(&signals);
            sigaddset(&signals, SIGINT);
            sigaddset(&signals, SIGTERM);
            pthread_sigmask(SIG_BLOCK, &signals, nullptr);
        }
        erphost::PluginHost host(config);
        host.loadPlugins();
        printLoadErrors(host);
        std::unique_ptr<erphost::ConsoleServer> console;
        if (!httpAddress.empty()) {
            Poco::Net::initializeSSL();
            try {
                console = std::make_unique<erphost::ConsoleServer>(host, httpAddress);
            } catch (const erphost::ConsoleError& e) {
                std::cerr << "erphost: " << e.what() << '\n';
                return Usage;
            }
        }
        host.startModules();

        if (help) {
            std::cout << kUsage << "\noperations (erphost ops --json shows their parameters):\n";
            return listOperations(host, false);
        }
        if (command == "serve") {
            if (console) {
                console->start();
                std::cerr << "erphost: console on " << console->url() << '\n';
            }
            std::cerr << "erphost: serving " << host.modules().size() << " modules; SIGINT or SIGTERM stops\n";
            int received = 0;
            sigwait(&signals, &received);
            std::cerr << "erphost: stopping\n";
            console.reset();
            host.shutdown();
            return Ok;
        }
        if (command == "modules") return listModules(host);
        if (command == "ops") return listOperations(host, asJson);
        if (command == "call") {
            if (operation.empty() || user.empty()) {
                std::cerr << "erphost: call needs an operation and --as USER\n" << kUsage;
                return Usage;
            }
            std::string paramsText;
            try {
                paramsText = readParams(params);
            } catch (const Poco::Exception& e) {
                std::cout << pretty(erphost::errorJson("invalid_json", "cannot read " + params + ": " + e.displayText()))
                          << '\n';
                return OperationFailed;
            }
            erphost::CallResult result;
            for (int run = 1; run <= std::max(repeat, 1); ++run) {
                const auto started = std::chrono::steady_clock::now();
                result = host.call(operation, user, paramsText);
                const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started;
                if (repeat > 0)
                    std::cerr << "erphost: " << operation << " run " << run << " took " << std::fixed
                              << std::setprecision(2) << took.count() << " ms\n";
            }
            std::cout << pretty(result.json) << '\n';
            return result.ok ? Ok : OperationFailed;
        }
        std::cerr << "erphost: unknown command '" << command << "'\n" << kUsage;
        return Usage;
    } catch (const std::exception& e) {
        std::cerr << "erphost: " << e.what() << '\n';
        return Setup;
    }
}
