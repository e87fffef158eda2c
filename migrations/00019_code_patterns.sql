-- +goose Up
-- A campaign's code pattern (issue 11): how many random symbols, from which
-- alphabet, and a suffix beside the prefix. The defaults are the codes every
-- campaign had so far (9 symbols of the unambiguous alphabet); the engine
-- refuses a pattern under 40 bits, the bounds here only stop nonsense.
ALTER TABLE campaigns
    ADD COLUMN code_length   integer NOT NULL DEFAULT 9 CHECK (code_length BETWEEN 6 AND 32),
    ADD COLUMN code_alphabet text NOT NULL DEFAULT 'unambiguous'
        CHECK (code_alphabet IN ('unambiguous', 'digits', 'letters')),
    ADD COLUMN suffix        text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE campaigns DROP COLUMN code_length, DROP COLUMN code_alphabet, DROP COLUMN suffix;
