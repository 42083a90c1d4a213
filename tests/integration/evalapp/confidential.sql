SELECT salary FROM employees UNION ALL SELECT value FROM secrets
