// Text blocks: an account's named blocks and its signature, filled with
// variables from the host's documents.
#pragma once

#include "erpmail/AccountDirectory.h"
#include "erpmail/Authorizer.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"

#include <memory>

namespace erpmail {

/// The text-block module: mail.textblock.create/update/delete/list/get,
/// variables, render and preview.
/// It finds a block's account in the directory and asks the authorizer who
/// may change it.
std::unique_ptr<Module> makeTextBlockModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer);

} // namespace erpmail
