-- The SMIMECapabilities of the signature a collected certificate came
-- with: the algorithm OIDs its sender's client reads, space-separated, in
-- its order of preference; NULL when the signature listed none.
ALTER TABLE address_certificates ADD COLUMN capabilities TEXT;
