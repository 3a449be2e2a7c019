// Header-only C++ helpers over erp_plugin.h: a plugin's view of its host.
#pragma once

#include <erp/erp_plugin.h>
#include <erp/sdk/sink.hpp>
#include <erp/sdk/versioned.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace erp::sdk {

/// Thrown when a required host service is missing or failed.
class HostError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown when the acting user may not read a host document: the host
/// refused them, or the host cannot check per user and they are no admin.
/// what() names the document and says why.
class DocumentForbidden : public HostError {
public:
    using HostError::HostError;
};

/// The host services as C++ calls. Holds a versioned copy of erp_host_api,
/// so it stays valid however long the plugin keeps it. Thread-safe as far
/// as the host's callbacks are (the ABI requires them to be).
class Host {
public:
    Host() = default;

    /// Copies api; throws HostError when a required service is missing.
    explicit Host(const erp_host_api* api)
    {
        if (!copyVersioned(api, api_)) throw HostError("host passed no service table");
        if (!api_.log || !api_.config_get || !api_.user_get || !api_.user_list || !api_.user_has_permission ||
            !api_.database_list || !api_.database_connection_string || !api_.data_folder || !api_.event_emit ||
            !api_.clock_now_ms || !api_.module_register)
            throw HostError("host service table lacks a required callback");
    }

    const erp_host_api& raw() const { return api_; }
    bool valid() const { return api_.struct_size != 0; }

    void log(erp_log_level level, const char* component, const std::string& message) const
    {
        if (api_.log) api_.log(api_.host_ctx, level, component, message.c_str());
    }

    std::optional<std::string> config(const std::string& key) const
    {
        return fetch([&](erp_sink* s) { return api_.config_get(api_.host_ctx, key.c_str(), s); });
    }

    /// The user as JSON, or nullopt for an unknown user.
    std::optional<std::string> userJson(const std::string& id) const
    {
        return fetch([&](erp_sink* s) { return api_.user_get(api_.host_ctx, id.c_str(), s); });
    }

    std::string usersJson() const { return require("user_list", [&](erp_sink* s) { return api_.user_list(api_.host_ctx, s); }); }

    bool hasPermission(const std::string& user, const std::string& permission) const
    {
        return api_.user_has_permission(api_.host_ctx, user.c_str(), permission.c_str()) == 1;
    }

    std::string databasesJson() const
    {
        return require("database_list", [&](erp_sink* s) { return api_.database_list(api_.host_ctx, s); });
    }

    /// The ODBC connection string of a database, or nullopt when unknown.
    std::optional<std::string> connectionString(const std::string& databaseId) const
    {
        return fetch(
            [&](erp_sink* s) { return api_.database_connection_string(api_.host_ctx, databaseId.c_str(), s); });
    }

    std::string dataFolder() const
    {
        return require("data_folder", [&](erp_sink* s) { return api_.data_folder(api_.host_ctx, s); });
    }

    /// Who reads a host document, and what the plugin trusts them with.
    struct DocumentReader {
        std::string user;   ///< the acting user, as the host knows them
        bool admin = false; ///< may read every document where the host cannot check per user (ABI 1.0)
    };

    /// Whether the host checks per user who may read its documents (ABI 1.1
    /// document_fetch_as and variable_resolve_as).
    bool checksDocumentReaders() const { return hasVariableResolveAs() && hasDocumentFetchAs(); }

    /// A document variable's value as reader may read it; nullopt when unknown
    /// or the host has no resolver. Asks variable_resolve_as when the host
    /// offers it; a host without it cannot check per user, so then only an
    /// admin reader is served. Throws DocumentForbidden when reader may not
    /// read the document, HostError when the host failed.
    std::optional<std::string> resolveVariable(const std::string& doctype, const std::string& docId,
                                               const std::string& name, const DocumentReader& reader) const
    {
        StringSink out;
        erp_status st;
        if (hasVariableResolveAs()) {
            st = api_.variable_resolve_as(api_.host_ctx, doctype.c_str(), docId.c_str(), name.c_str(),
                                          reader.user.c_str(), out.get());
        } else {
            if (!api_.variable_resolve) return std::nullopt;
            if (!reader.admin) throw DocumentForbidden(uncheckedReader(doctype, docId, reader, "fill variables from"));
            st = api_.variable_resolve(api_.host_ctx, doctype.c_str(), docId.c_str(), name.c_str(), out.get());
        }
        if (!found(st, doctype, docId, reader, out.str(), "variable_resolve")) return std::nullopt;
        return out.take();
    }

    /// The JSON array of the variables documents of `doctype` offer (ABI 1.1
    /// variable_catalogue); nullopt when the host has no catalogue or no
    /// such type. Throws HostError when the host failed.
    std::optional<std::string> variableCatalogue(const std::string& doctype) const
    {
        if (!(ERP_HAS_MEMBER(api_, variable_catalogue) && api_.variable_catalogue)) return std::nullopt;
        StringSink out;
        erp_status st = api_.variable_catalogue(api_.host_ctx, doctype.c_str(), out.get());
        if (st == ERP_NOT_FOUND) return std::nullopt;
        if (st != ERP_OK) throw HostError("variable_catalogue(" + doctype + ") failed: " + out.str());
        return out.take();
    }
    /// Whether the host offers a variable catalogue (ABI 1.1).
    bool hasVariableCatalogue() const
    {
        return ERP_HAS_MEMBER(api_, variable_catalogue) && api_.variable_catalogue;
    }

    struct Document {
        std::string bytes;
        std::string metaJson;
    };

    /// A host document's bytes and metadata as reader may read them; nullopt
    /// when unknown or the host has no document provider. Asks
    /// document_fetch_as when the host offers it; a host without it cannot
    /// check per user, so then only an admin reader is served. Throws
    /// DocumentForbidden when reader may not read it, HostError when the
    /// host failed.
    std::optional<Document> fetchDocument(const std::string& doctype, const std::string& docId,
                                          const DocumentReader& reader) const
    {
        StringSink bytes, meta;
        erp_status st;
        if (hasDocumentFetchAs()) {
            st = api_.document_fetch_as(api_.host_ctx, doctype.c_str(), docId.c_str(), reader.user.c_str(), bytes.get(),
                                        meta.get());
        } else {
            if (!api_.document_fetch) return std::nullopt;
            if (!reader.admin) throw DocumentForbidden(uncheckedReader(doctype, docId, reader, "attach"));
            st = api_.document_fetch(api_.host_ctx, doctype.c_str(), docId.c_str(), bytes.get(), meta.get());
        }
        if (!found(st, doctype, docId, reader, bytes.str(), "document_fetch")) return std::nullopt;
        return Document{bytes.take(), meta.take()};
    }

    /// Whether the host answers which documents are under legal hold (ABI
    /// 1.1 documents_on_hold).
    bool answersLegalHolds() const { return ERP_HAS_MEMBER(api_, documents_on_hold) && api_.documents_on_hold; }

    /// The host's answer to documents_on_hold for linksJson (a JSON array of
    /// {"doctype","id"}): a JSON array of booleans, one per link. nullopt
    /// when the host lacks the callback; throws HostError when it failed.
    std::optional<std::string> documentsOnHold(const std::string& linksJson) const
    {
        if (!answersLegalHolds()) return std::nullopt;
        StringSink out;
        if (api_.documents_on_hold(api_.host_ctx, linksJson.c_str(), out.get()) != ERP_OK)
            throw HostError("host documents_on_hold failed: " + out.str());
        return out.take();
    }

    void emit(const std::string& type, const std::string& payloadJson) const
    {
        api_.event_emit(api_.host_ctx, type.c_str(), payloadJson.c_str());
    }

    std::int64_t nowMs() const { return api_.clock_now_ms(api_.host_ctx); }

private:
    bool hasDocumentFetchAs() const { return ERP_HAS_MEMBER(api_, document_fetch_as) && api_.document_fetch_as; }
    bool hasVariableResolveAs() const { return ERP_HAS_MEMBER(api_, variable_resolve_as) && api_.variable_resolve_as; }

    static std::string uncheckedReader(const std::string& doctype, const std::string& docId,
                                       const DocumentReader& reader, const char* what)
    {
        return "user '" + reader.user + "' may not " + what + " document " + doctype + " " + docId +
               ": this host does not check who may read its documents (it lacks document_fetch_as and "
               "variable_resolve_as of host ABI 1.1), so only admins may " +
               what + " host documents; ask an admin, or upgrade the host";
    }

    // What a document callback answered: true for ERP_OK, false for
    // ERP_NOT_FOUND; throws for a refusal or a failure, with what it wrote.
    static bool found(erp_status st, const std::string& doctype, const std::string& docId, const DocumentReader& reader,
                      const std::string& written, const char* callback)
    {
        if (st == ERP_OK) return true;
        if (st == ERP_NOT_FOUND) return false;
        if (st == ERP_FORBIDDEN)
            throw DocumentForbidden("user '" + reader.user + "' may not read document " + doctype + " " + docId +
                                    " (the host refused" + (written.empty() ? std::string(")") : ": " + written + ")"));
        throw HostError(std::string("host ") + callback + " failed: " + written);
    }

    template <class Call>
    std::optional<std::string> fetch(Call&& call) const
    {
        StringSink out;
        erp_status st = call(out.get());
        if (st == ERP_NOT_FOUND) return std::nullopt;
        if (st != ERP_OK) throw HostError("host service failed: " + out.str());
        return out.take();
    }

    template <class Call>
    std::string require(const char* what, Call&& call) const
    {
        auto v = fetch(call);
        if (!v) throw HostError(std::string("host service ") + what + " returned nothing");
        return *v;
    }

    erp_host_api api_{};
};

} // namespace erp::sdk
