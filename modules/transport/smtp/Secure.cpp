// Securing a composed mail: the one place where a MIME entity becomes what
// goes on the wire, so that signing and encryption join the send path here.
#include "transport/smtp/Secure.h"

namespace erpmail {

SecuredMessage secure(std::string entity, const SecureOptions& /*options*/)
{
    SecuredMessage out;
    out.wire = std::move(entity);
    return out;
}

} // namespace erpmail
