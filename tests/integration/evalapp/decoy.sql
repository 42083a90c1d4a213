-- The stand-in's decoy: the same schema, plausible values, no marker.
CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT, dept TEXT, salary TEXT);
CREATE TABLE secrets (id INTEGER PRIMARY KEY, name TEXT, value TEXT);
INSERT INTO employees (name, dept, salary) VALUES
  ('Alice Smith', 'Engineering', '64200'), ('Bob Jones', 'Finance', '58900'),
  ('Carol White', 'Sales', '61350');
INSERT INTO secrets (name, value) VALUES ('vpn', 'vpn-5d81e0'), ('payroll', 'pay-90c4');
