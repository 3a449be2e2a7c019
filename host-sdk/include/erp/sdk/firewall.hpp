// Header-only C++ helpers over erp_plugin.h: the exception firewall.
#pragma once

#include <erp/erp_plugin.h>
#include <erp/sdk/sink.hpp>

#include <exception>
#include <string>

namespace erp::sdk {

/// Runs body() and turns any exception into ERP_ERROR with its message
/// written to error. Every function exported across the C boundary runs its
/// work inside one of these, so no exception ever unwinds into the host.
template <class Body>
erp_status firewall(erp_sink* error, Body&& body) noexcept
{
    try {
        return body();
    } catch (const std::exception& e) {
        writeTo(error, e.what());
    } catch (...) {
        writeTo(error, "unknown exception");
    }
    return ERP_ERROR;
}

} // namespace erp::sdk
