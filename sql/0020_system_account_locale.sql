-- The locale an account's text blocks are filled in (BCP 47, such as de-CH
-- or fr-CH); NULL: the installation's erpmail.locale.
ALTER TABLE accounts ADD COLUMN locale VARCHAR(35);
