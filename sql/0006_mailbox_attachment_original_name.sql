-- An attachment's file name as the mail gave it; file_name holds the same
-- name without path components and control characters.
ALTER TABLE attachments ADD COLUMN original_file_name TEXT;
