// Everything other modules may ask of the account module, as one reference:
// the small interfaces it is made of. A module takes only the ones it uses.
#pragma once

#include "erpmail/AccountDirectory.h"
#include "erpmail/Authorizer.h"
#include "erpmail/FetcherRegistry.h"
#include "erpmail/MessageStore.h"
#include "erpmail/SecretStore.h"
#include "erpmail/SentCopies.h"

namespace erpmail {

class AccountAccess : public AccountDirectory,
                      public Authorizer,
                      public SecretStore,
                      public MessageStore,
                      public FetcherRegistry,
                      public SentCopies {
public:
    using AccountDirectory::requireOnline;
    using Authorizer::requireOnline;
};

} // namespace erpmail
