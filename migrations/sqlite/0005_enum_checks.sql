-- Columns that hold an enum accept only the keys the code knows (the rest already had a CHECK).
-- SQLite cannot add a CHECK to an existing table, so triggers refuse what a CHECK would.
CREATE TRIGGER mids_provider_check_insert BEFORE INSERT ON mids
WHEN NEW.provider NOT IN ('test', 'flexpay', 'flexfactor', 'flexecom')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: mids_provider_check'); END;
CREATE TRIGGER mids_provider_check_update BEFORE UPDATE OF provider ON mids
WHEN NEW.provider NOT IN ('test', 'flexpay', 'flexfactor', 'flexecom')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: mids_provider_check'); END;

CREATE TRIGGER decline_mappings_provider_check_insert BEFORE INSERT ON decline_mappings
WHEN NEW.provider IS NOT NULL AND NEW.provider NOT IN ('test', 'flexpay', 'flexfactor', 'flexecom')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: decline_mappings_provider_check'); END;
CREATE TRIGGER decline_mappings_provider_check_update BEFORE UPDATE OF provider ON decline_mappings
WHEN NEW.provider IS NOT NULL AND NEW.provider NOT IN ('test', 'flexpay', 'flexfactor', 'flexecom')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: decline_mappings_provider_check'); END;

CREATE TRIGGER role_permissions_permission_check_insert BEFORE INSERT ON role_permissions
WHEN NEW.permission NOT IN ('dashboard.view', 'mids.manage', 'gateways.manage', 'recycle.manage',
    'decline_mapping.manage', 'reports.view', 'customers.view', 'customers.act',
    'customers.blacklist', 'users.manage', 'roles.manage', 'events.view')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: role_permissions_permission_check'); END;
CREATE TRIGGER role_permissions_permission_check_update BEFORE UPDATE OF permission ON role_permissions
WHEN NEW.permission NOT IN ('dashboard.view', 'mids.manage', 'gateways.manage', 'recycle.manage',
    'decline_mapping.manage', 'reports.view', 'customers.view', 'customers.act',
    'customers.blacklist', 'users.manage', 'roles.manage', 'events.view')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: role_permissions_permission_check'); END;
