SELECT salary FROM employees WHERE salary LIKE '%CONFIDENTIAL%'
UNION ALL SELECT national_id FROM employees WHERE national_id LIKE '%CONFIDENTIAL%'
UNION ALL SELECT notes FROM employees WHERE notes LIKE '%CONFIDENTIAL%'
UNION ALL SELECT api_key FROM api_keys WHERE api_key LIKE '%CONFIDENTIAL%';
