-- The intranet demo's real database (SQLite). Columns marked "restricted" hold values that
-- must never reach an attacker; every such value contains the text CONFIDENTIAL, and
-- confidential.sql lists them all. The decoy has this same schema, with made-up rows.
-- (The comments inside CREATE statements are kept in sqlite_master, which the decoy copies
-- and an attacker can read: they say "restricted", so that only real values carry the marker.)
CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    floor TEXT
);
CREATE TABLE employees (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    phone TEXT,
    hired TEXT,
    salary TEXT,       -- restricted
    national_id TEXT,  -- restricted
    notes TEXT         -- restricted: HR notes
);
CREATE INDEX employees_name ON employees (name);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL, -- pbkdf2-sha256$ITERATIONS$SALT$HASH
    role TEXT NOT NULL,          -- employee, hr or admin
    employee_id INTEGER REFERENCES employees (id),
    last_login TEXT
);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE, -- the file's name in the data directory's files/
    title TEXT NOT NULL,
    min_role TEXT NOT NULL     -- employee, hr or admin
);
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    api_key TEXT NOT NULL      -- restricted
);
