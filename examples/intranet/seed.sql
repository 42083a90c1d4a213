-- Seed rows of the intranet demo's real database. Every confidential value contains
-- CONFIDENTIAL and a number unique to it, so that it can be searched for anywhere.
INSERT INTO departments (id, name, floor) VALUES
    (1, 'Human Resources', '2'),
    (2, 'IT', '3'),
    (3, 'Finance', '4'),
    (4, 'Sales', '1'),
    (5, 'Engineering', '5');
INSERT INTO employees (id, name, email, title, department_id, phone, hired, salary, national_id, notes) VALUES
    (1, 'Alice Martin', 'alice.martin@example.com', 'HR Manager', 1, '+1 555 0101', '2023-01-03', 'CONFIDENTIAL-SALARY-100379', 'CONFIDENTIAL-NID-484-26-4164', 'CONFIDENTIAL-NOTE-0001 counter-offer pending'),
    (2, 'Sam Okafor', 'sam.okafor@example.com', 'IT Administrator', 2, '+1 555 0102', '2022-01-15', 'CONFIDENTIAL-SALARY-77253', 'CONFIDENTIAL-NID-618-36-7565', 'CONFIDENTIAL-NOTE-0002 salary review due'),
    (3, 'Bruno Keller', 'bruno.keller@example.com', 'Controller', 3, '+1 555 0103', '2025-07-03', 'CONFIDENTIAL-SALARY-166464', 'CONFIDENTIAL-NID-499-73-4149', 'CONFIDENTIAL-NOTE-0003 relocation to Lyon approved'),
    (4, 'Chloe Dubois', 'chloe.dubois@example.com', 'Account Executive', 4, '+1 555 0104', '2020-07-16', 'CONFIDENTIAL-SALARY-166239', 'CONFIDENTIAL-NID-877-12-5370', 'CONFIDENTIAL-NOTE-0004 promotion candidate'),
    (5, 'David Nakamura', 'david.nakamura@example.com', 'Software Engineer', 5, '+1 555 0105', '2013-02-13', 'CONFIDENTIAL-SALARY-139743', 'CONFIDENTIAL-NID-216-94-5232', 'CONFIDENTIAL-NOTE-0005 visa renewal in progress'),
    (6, 'Elena Petrova', 'elena.petrova@example.com', 'Software Engineer', 5, '+1 555 0106', '2015-12-03', 'CONFIDENTIAL-SALARY-138110', 'CONFIDENTIAL-NID-776-17-6544', 'CONFIDENTIAL-NOTE-0006 medical leave in June'),
    (7, 'Farid Haddad', 'farid.haddad@example.com', 'Sales Director', 4, '+1 555 0107', '2021-03-20', 'CONFIDENTIAL-SALARY-169925', 'CONFIDENTIAL-NID-765-76-4406', 'CONFIDENTIAL-NOTE-0007 disciplinary warning on file'),
    (8, 'Grace Lindqvist', 'grace.lindqvist@example.com', 'Payroll Specialist', 1, '+1 555 0108', '2014-10-15', 'CONFIDENTIAL-SALARY-58552', 'CONFIDENTIAL-NID-138-72-4176', 'CONFIDENTIAL-NOTE-0008 on a performance plan until March'),
    (9, 'Hugo Fernandes', 'hugo.fernandes@example.com', 'Network Engineer', 2, '+1 555 0109', '2014-03-25', 'CONFIDENTIAL-SALARY-155292', 'CONFIDENTIAL-NID-670-55-7981', 'CONFIDENTIAL-NOTE-0009 counter-offer pending'),
    (10, 'Ines Moreau', 'ines.moreau@example.com', 'Financial Analyst', 3, '+1 555 0110', '2022-08-17', 'CONFIDENTIAL-SALARY-66544', 'CONFIDENTIAL-NID-806-50-6849', 'CONFIDENTIAL-NOTE-0010 salary review due'),
    (11, 'Jonas Weber', 'jonas.weber@example.com', 'Engineering Manager', 5, '+1 555 0111', '2016-09-22', 'CONFIDENTIAL-SALARY-92316', 'CONFIDENTIAL-NID-253-55-9662', 'CONFIDENTIAL-NOTE-0011 relocation to Lyon approved'),
    (12, 'Kavya Iyer', 'kavya.iyer@example.com', 'QA Engineer', 5, '+1 555 0112', '2015-06-08', 'CONFIDENTIAL-SALARY-60827', 'CONFIDENTIAL-NID-619-99-9928', 'CONFIDENTIAL-NOTE-0012 promotion candidate'),
    (13, 'Liam O''Connor', 'liam.oconnor@example.com', 'Sales Representative', 4, '+1 555 0113', '2012-07-09', 'CONFIDENTIAL-SALARY-45302', 'CONFIDENTIAL-NID-451-38-5371', 'CONFIDENTIAL-NOTE-0013 visa renewal in progress'),
    (14, 'Mei Chen', 'mei.chen@example.com', 'Recruiter', 1, '+1 555 0114', '2022-07-04', 'CONFIDENTIAL-SALARY-138305', 'CONFIDENTIAL-NID-822-63-3871', 'CONFIDENTIAL-NOTE-0014 medical leave in June'),
    (15, 'Noah Schmidt', 'noah.schmidt@example.com', 'Help Desk Technician', 2, '+1 555 0115', '2024-03-10', 'CONFIDENTIAL-SALARY-84954', 'CONFIDENTIAL-NID-779-13-4306', 'CONFIDENTIAL-NOTE-0015 disciplinary warning on file'),
    (16, 'Olivia Rossi', 'olivia.rossi@example.com', 'Chief Financial Officer', 3, '+1 555 0116', '2025-03-19', 'CONFIDENTIAL-SALARY-71013', 'CONFIDENTIAL-NID-882-58-6600', 'CONFIDENTIAL-NOTE-0016 on a performance plan until March');
INSERT INTO documents (id, name, title, min_role) VALUES
    (1, 'employee-handbook.txt', 'Employee handbook 2026', 'employee'),
    (2, 'holiday-calendar.csv', 'Holiday calendar', 'employee'),
    (3, 'salary-bands-2026.csv', 'Salary bands 2026 (HR only)', 'hr');
INSERT INTO api_keys (id, service, api_key) VALUES
    (1, 'payroll', 'CONFIDENTIAL-APIKEY-PAYROLL-7f3a9c2e51d04b8a'),
    (2, 'backup', 'CONFIDENTIAL-APIKEY-BACKUP-c81d2e0f9a6b4473');
