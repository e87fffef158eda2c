package web

import "github.com/vendrule/vendrule/models"

// The fleet resources served by the generic CRUD code, with the columns each
// allows in where, sort and export.
var (
	locationsRes = &models.Resource{Name: "locations", Table: "locations", Columns: models.NewColumns(
		"id", "name", "address", "postcode", "city", "country", "externalRef", "timeZone", "placeId",
		"userGroup", "createdAt", "updatedAt")}
	locationGroupsRes = &models.Resource{Name: "locationgroups", Table: "location_groups", Columns: models.NewColumns(
		"id", "name", "userGroup", "createdAt", "updatedAt")}
	machinesRes = &models.Resource{Name: "machines", Table: "machines", Columns: models.NewColumns(
		"id", "name", "hostname", "location", "machineModel", "machineType", "manufacturer", "currency",
		"tag", "active", "userGroup", "createdAt", "updatedAt")}
	machineGroupsRes = &models.Resource{Name: "machinegroups", Table: "machine_groups", Columns: models.NewColumns(
		"id", "name", "userGroup", "createdAt", "updatedAt")}
	manufacturersRes = &models.Resource{Name: "manufacturers", Table: "manufacturers", Columns: models.NewColumns(
		"id", "name", "userGroup", "createdAt", "updatedAt")}
	machineTypesRes = &models.Resource{Name: "machinetypes", Table: "machine_types", Columns: models.NewColumns(
		"id", "name", "userGroup", "createdAt", "updatedAt")}
	machineModelsRes = &models.Resource{Name: "machinemodels", Table: "machine_models", Columns: models.NewColumns(
		"id", "name", "manufacturer", "errorProfile", "machineType", "userGroup", "createdAt", "updatedAt")}
	errorProfilesRes = &models.Resource{Name: "errorprofiles", Table: "error_profiles", Columns: models.NewColumns(
		"id", "name", "machineType", "manufacturer", "userGroup", "createdAt", "updatedAt")}
	errorIdentitiesRes = &models.Resource{Name: "erroridentities", Table: "error_identities", Columns: models.NewColumns(
		"id", "error", "machineType", "userGroup", "createdAt", "updatedAt")}
	errorCodesRes = &models.Resource{Name: "errorcodes", Table: "error_codes", Columns: models.NewColumns(
		"id", "code", "errorIdentity", "errorProfile", "userGroup", "createdAt", "updatedAt")}
	usersRes = &models.Resource{Name: "users", Table: "users", Columns: models.NewColumns(
		"id", "username", "email", "language", "emailConfirmed", "userGroup", "createdAt", "updatedAt")}
	userGroupsRes = &models.Resource{Name: "usergroups", Table: "user_groups", TenantColumn: "id",
		Columns: models.NewColumns("id", "name", "parent", "admin", "createdAt", "updatedAt")}
)
