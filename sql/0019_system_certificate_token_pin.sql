-- The PIN of the PKCS#11 token that holds a certificate's private key
-- (certificates.key_uri), sealed with the plugin's secret key and bound to
-- the certificate's fingerprint apart from a sealed key ("certificate:<fp>/pin").
ALTER TABLE certificates ADD COLUMN sealed_pin {{blob}};
