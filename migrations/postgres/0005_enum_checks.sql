-- Columns that hold an enum accept only the keys the code knows (the rest already had a CHECK).
ALTER TABLE mids ADD CONSTRAINT mids_provider_check
    CHECK (provider IN ('test', 'flexpay', 'flexfactor', 'flexecom'));
ALTER TABLE decline_mappings ADD CONSTRAINT decline_mappings_provider_check
    CHECK (provider IS NULL OR provider IN ('test', 'flexpay', 'flexfactor', 'flexecom'));
ALTER TABLE role_permissions ADD CONSTRAINT role_permissions_permission_check
    CHECK (permission IN ('dashboard.view', 'mids.manage', 'gateways.manage', 'recycle.manage',
        'decline_mapping.manage', 'reports.view', 'customers.view', 'customers.act',
        'customers.blacklist', 'users.manage', 'roles.manage', 'events.view'));
