/*
 * erp_plugin.h: the contract between an ERP host and its plugins.
 *
 * Interface changelog
 *   1.0  First version: host services, module registration, operation
 *        invocation, abi negotiation.
 *   1.1  erp_host_api: document_fetch_as and variable_resolve_as read a
 *        host document as the acting user; ERP_FORBIDDEN answers a user
 *        who may not read it. variable_catalogue lists the variables of a
 *        document type, for text blocks. documents_on_hold answers which
 *        host documents are under legal hold (mail linked to them is kept).
 *        erp_plugin_api: ui_resource serves the plugin's own web screens, a
 *        static bundle embedded in the plugin, for hosts to put under
 *        /plugins/<name>/.
 *
 * Rules of this interface
 *   - Plain C. No exception and no C++ type crosses it.
 *   - Every struct starts with `uint32_t struct_size`, set by whoever fills
 *     the struct to sizeof() as that side was compiled. Members are only ever
 *     appended, never reordered or removed. A reader copies
 *     min(struct_size, sizeof) bytes into a zeroed struct of its own version,
 *     so members it does not know stay zero. Later members are grouped under
 *     "Since 1.N" markers.
 *   - Strings are UTF-8 and NUL-terminated. A pointer passed into a call is
 *     valid only for the duration of that call; keep a copy.
 *   - Output of unbounded size goes through an erp_sink owned by the caller.
 *   - Every host callback may be called from any plugin thread at any time
 *     between erp_plugin_load and the return of erp_plugin_unload: hosts
 *     must make them thread-safe.
 *   - Versions: a host loads a plugin only when the plugin's major equals the
 *     host's and the plugin's minor is not newer than the host's.
 */
#ifndef ERP_PLUGIN_H
#define ERP_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ERP_PLUGIN_ABI_MAJOR 1
#define ERP_PLUGIN_ABI_MINOR 1
#define ERP_ABI_VERSION(major, minor) ((((uint32_t)(major)) << 16) | ((uint32_t)(minor) & 0xffffu))
#define ERP_ABI_MAJOR_OF(version) ((uint32_t)(version) >> 16)
#define ERP_ABI_MINOR_OF(version) ((uint32_t)(version) & 0xffffu)
#define ERP_PLUGIN_ABI_VERSION ERP_ABI_VERSION(ERP_PLUGIN_ABI_MAJOR, ERP_PLUGIN_ABI_MINOR)

#if defined(_WIN32)
#define ERP_PLUGIN_EXPORT __declspec(dllexport)
#else
#define ERP_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

typedef enum erp_status {
    ERP_OK = 0,
    ERP_ERROR = 1,            /* failed; details were written to the error sink */
    ERP_NOT_FOUND = 2,        /* the named user, key, database or document does not exist */
    ERP_VERSION_MISMATCH = 3, /* the other side speaks an incompatible ABI */
    ERP_INVALID_ARGUMENT = 4, /* a required pointer was NULL or a struct too small */
    /* Since 1.1 */
    ERP_FORBIDDEN = 5 /* the acting user may not read it; the reason was written to the sink */
} erp_status;

typedef enum erp_log_level {
    ERP_LOG_TRACE = 0,
    ERP_LOG_DEBUG = 1,
    ERP_LOG_INFO = 2,
    ERP_LOG_WARNING = 3,
    ERP_LOG_ERROR = 4
} erp_log_level;

/*
 * A writer owned by the caller. The callee calls write() any number of
 * times; the bytes are appended in order. Binary-safe.
 */
typedef struct erp_sink {
    uint32_t struct_size;
    /* Required: the caller's state, passed back to write(). */
    void* ctx;
    /* Required: append len bytes. Returns 0 on success, non-zero when the
     * caller refuses more (the callee then stops and reports ERP_ERROR). */
    int (*write)(void* ctx, const char* data, size_t len);
} erp_sink;

struct erp_module_info;

/*
 * Services the host lends to a plugin for its whole loaded life.
 * The host fills it; the plugin copies it (see the struct rules above).
 */
typedef struct erp_host_api {
    uint32_t struct_size;
    /* Required: ERP_PLUGIN_ABI_VERSION as the host was compiled. */
    uint32_t abi_version;
    /* Required: the host's name and version, for diagnostics. */
    const char* host_name;
    /* Optional: the host's state, passed back to every callback. */
    void* host_ctx;

    /* Required: write one log record. component names the plugin part
     * ("erpmail.store"). Must never block for long. */
    void (*log)(void* host_ctx, erp_log_level level, const char* component, const char* message);

    /* Required: the configuration value for key ("erpmail.outbox.workers").
     * Writes the value to out and returns ERP_OK, or ERP_NOT_FOUND. */
    erp_status (*config_get)(void* host_ctx, const char* key, erp_sink* out);

    /* Required: a user as JSON:
     *   {"id":"anna","name":"Anna Muster","groups":["sales"],"admin":false}
     * Returns ERP_NOT_FOUND for an unknown user. */
    erp_status (*user_get)(void* host_ctx, const char* user_id, erp_sink* out_json);

    /* Required: every user as a JSON array of the objects user_get writes. */
    erp_status (*user_list)(void* host_ctx, erp_sink* out_json);

    /* Required: whether user_id holds permission ("mail.use"). Admins hold
     * every permission. Returns 1 when it does, 0 when not or unknown. */
    int (*user_has_permission)(void* host_ctx, const char* user_id, const char* permission);

    /* Required: the databases the host offers, as a JSON array:
     *   [{"id":"main","system":true},{"id":"archive","system":false}]
     * Exactly one is the system database. */
    erp_status (*database_list)(void* host_ctx, erp_sink* out_json);

    /* Required: the ODBC connection string of database_id, or ERP_NOT_FOUND.
     * The string may hold credentials: never log it. */
    erp_status (*database_connection_string)(void* host_ctx, const char* database_id, erp_sink* out);

    /* Required: the folder where the plugin keeps files of its own (keys,
     * caches). The host creates it. */
    erp_status (*data_folder)(void* host_ctx, erp_sink* out);

    /* Optional: the value of variable name ("customer.name") of document
     * doctype/doc_id ("invoice"/"2026-0042") as UTF-8 text, or ERP_NOT_FOUND.
     * It names no user: a plugin that has variable_resolve_as uses that. */
    erp_status (*variable_resolve)(void* host_ctx, const char* doctype, const char* doc_id, const char* name,
                                   erp_sink* out);

    /* Optional: the rendered document (a PDF) of doctype/doc_id. Writes its
     * bytes to out_bytes and {"file_name":"...","content_type":"..."} to
     * out_meta_json. Returns ERP_NOT_FOUND for an unknown document.
     * It names no user: a plugin that has document_fetch_as uses that. */
    erp_status (*document_fetch)(void* host_ctx, const char* doctype, const char* doc_id, erp_sink* out_bytes,
                                 erp_sink* out_meta_json);

    /* Required: deliver an event. type is dotted ("mail.sent",
     * "mail.failed", "mail.received", "account.offline",
     * "certificate.expiring"); payload is a JSON object. Returning
     * acknowledges it. A payload with "event_id" may come again after a
     * crash, with the same event_id (docs/host-sdk.md, "Events"). */
    void (*event_emit)(void* host_ctx, const char* type, const char* payload_json);

    /* Required: the host's clock, in milliseconds since 1970-01-01 UTC.
     * Hosts may run it fast or frozen in tests. */
    int64_t (*clock_now_ms)(void* host_ctx);

    /* Required: register one module. Called by the plugin during
     * erp_plugin_load only. The host copies everything it keeps. */
    erp_status (*module_register)(void* host_ctx, const struct erp_module_info* info);

    /* Since 1.1 */

    /* Optional: document_fetch as acting_user reads it. The host decides
     * whether that user may read the document; when not, it writes the
     * reason to out_bytes and returns ERP_FORBIDDEN. An unknown user is
     * refused the same way. A host that sets it sets variable_resolve_as
     * too. Without it a plugin cannot tell who may read which document. */
    erp_status (*document_fetch_as)(void* host_ctx, const char* doctype, const char* doc_id, const char* acting_user,
                                    erp_sink* out_bytes, erp_sink* out_meta_json);

    /* Optional: variable_resolve as acting_user reads it, checked like
     * document_fetch_as: ERP_FORBIDDEN with the reason written to out when
     * that user may not read document doctype/doc_id. */
    erp_status (*variable_resolve_as)(void* host_ctx, const char* doctype, const char* doc_id, const char* name,
                                      const char* acting_user, erp_sink* out);

    /* Optional: the variables that documents of type doctype offer, for
     * text blocks' "insert variable" picker and their checks on save: a
     * JSON array written to out, each item {"name", "description", "type"
     * ("text", "date", "amount" or "number"), "example"}. ERP_NOT_FOUND for
     * a type the host does not have. Without it a plugin cannot check a
     * block's document variables when the block is saved. */
    erp_status (*variable_catalogue)(void* host_ctx, const char* doctype, erp_sink* out);

    /* Optional: which host documents are under legal hold, so that what
     * links to them must be kept (Swiss OR 958f: accounting vouchers for 10
     * years from the end of the financial year). links_json is a JSON
     * array of {"doctype":"invoice","id":"2026-0042"}; the host writes to
     * out_json a JSON array of as many booleans in the same order, true for
     * a document under hold; an unknown document is not. On ERP_ERROR the
     * reason was written to out_json, and the plugin keeps everything linked.
     * Without it a plugin applies a rule of its own configuration. */
    erp_status (*documents_on_hold)(void* host_ctx, const char* links_json, erp_sink* out_json);
} erp_host_api;

/* One operation a module answers. */
typedef struct erp_operation_info {
    uint32_t struct_size;
    /* Required: dotted name, unique in the host ("mail.account.create"). */
    const char* name;
    /* Required: one line for menus and --help. */
    const char* summary;
    /* Required: JSON Schema (draft 2020-12 subset) of the params object. */
    const char* params_schema;
    /* Required: the permission the acting user must hold ("mail.use"). */
    const char* permission;
} erp_operation_info;

/* A module as the plugin registers it. */
typedef struct erp_module_info {
    uint32_t struct_size;
    /* Required: id unique within the plugin ("transport.smtp"). */
    const char* id;
    /* Required: one line describing the module. */
    const char* summary;
    /* Optional: ids of modules that must be running before this one. */
    const char* const* dependencies;
    size_t dependency_count;
    /* Optional: the permissions its operations require. */
    const char* const* permissions;
    size_t permission_count;
    /* Optional: the operations it answers. */
    const erp_operation_info* operations;
    size_t operation_count;
    /* Optional: the module's state, passed back to start() and stop(). */
    void* module_ctx;
    /* Required: start the module (open databases, start workers). Called
     * once, after the modules it depends on started. On failure writes a
     * message to error and returns ERP_ERROR; the module stays stopped. */
    erp_status (*start)(void* module_ctx, erp_sink* error);
    /* Required: stop the module and join its workers. Called once for each
     * successful start, before the modules it depends on stop. */
    void (*stop)(void* module_ctx);
} erp_module_info;

/* What erp_plugin_load hands back to the host. */
typedef struct erp_plugin_api {
    uint32_t struct_size;
    /* Required: ERP_PLUGIN_ABI_VERSION as the plugin was compiled. */
    uint32_t abi_version;
    /* Required: the plugin's name and version ("erpmail", "0.1.0"). */
    const char* name;
    const char* version;
    /* Optional: the plugin's state, passed back to invoke(). */
    void* plugin_ctx;
    /*
     * Required: run operation op_name with params_json (a JSON object) as
     * acting_user. On ERP_OK the JSON result was written to out. On
     * ERP_ERROR a JSON error was written to out:
     *   {"error":{"code":"forbidden","message":"...","field":"owner"}}
     * ("field" only when one parameter is at fault). Codes:
     *   invalid_params, unknown_operation, unknown_user, forbidden,
     *   not_found, module_disabled, conflict, unavailable, internal.
     * May be called from several host threads at once.
     */
    erp_status (*invoke)(void* plugin_ctx, const char* op_name, const char* params_json, const char* acting_user,
                         erp_sink* out);

    /* Since 1.1 */

    /*
     * Optional: one file of the plugin's web screens, a static bundle that
     * needs no knowledge of the host. path is relative to the bundle's root,
     * already percent-decoded, without a leading '/' ("index.html",
     * "assets/app.js"; "" names "index.html"). On ERP_OK the file's bytes
     * were written to out_bytes and {"content_type":"text/html;
     * charset=utf-8","etag":"\"...\""} to out_meta_json; the ETag changes
     * whenever the bytes do. ERP_NOT_FOUND: no such file. ERP_INVALID_ARGUMENT:
     * the path was refused (a "." or ".." segment, an empty segment, a
     * backslash or a control character); the reason was written to
     * out_bytes. The files are the same for every user: a host may serve
     * them before anyone signs in. NULL when the plugin brings no screens.
     * May be called from several host threads at once.
     */
    erp_status (*ui_resource)(void* plugin_ctx, const char* path, erp_sink* out_bytes, erp_sink* out_meta_json);
} erp_plugin_api;

/*
 * Entry points a plugin exports. The host resolves them by these names.
 *
 * erp_plugin_abi_version: the host ABI the plugin needs: its major, and the
 * oldest minor whose members it cannot do without. A plugin compiled against
 * a newer header that checks struct_size before it uses a newer member, and
 * works without it, may name the older minor, so that older hosts load it.
 * The host calls it first and loads nothing else when it does not fit.
 */
typedef uint32_t (*erp_plugin_abi_version_fn)(void);

/*
 * erp_plugin_load: called once, after the version check. The plugin checks
 * the host's version too, registers its modules through
 * host->module_register, and fills *plugin (whose struct_size the host set).
 * On failure it writes a message to error and returns non-ERP_OK; the host
 * then calls nothing else, not even erp_plugin_unload.
 */
typedef erp_status (*erp_plugin_load_fn)(const erp_host_api* host, erp_plugin_api* plugin, erp_sink* error);

/*
 * erp_plugin_unload: called once, after every started module was stopped.
 * The plugin releases everything; no host callback may be used afterwards.
 */
typedef void (*erp_plugin_unload_fn)(void);

/* The entry points as a plugin defines them (hosts resolve them with dlsym). */
ERP_PLUGIN_EXPORT uint32_t erp_plugin_abi_version(void);
ERP_PLUGIN_EXPORT erp_status erp_plugin_load(const erp_host_api* host, erp_plugin_api* plugin, erp_sink* error);
ERP_PLUGIN_EXPORT void erp_plugin_unload(void);

#define ERP_PLUGIN_SYMBOL_ABI_VERSION "erp_plugin_abi_version"
#define ERP_PLUGIN_SYMBOL_LOAD "erp_plugin_load"
#define ERP_PLUGIN_SYMBOL_UNLOAD "erp_plugin_unload"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ERP_PLUGIN_H */
