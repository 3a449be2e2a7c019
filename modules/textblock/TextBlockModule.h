// Text blocks: an account's named blocks and its signature, filled with
// variables from the host's documents.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"

#include <memory>

namespace erpmail {

/// The text-block module: mail.textblock.create/update/delete/list/get,
/// variables, render and preview.
std::unique_ptr<Module> makeTextBlockModule(Context& context, AccountAccess& accounts);

} // namespace erpmail
