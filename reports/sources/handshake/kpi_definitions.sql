-- The agreed definition of every KPI (the registry as published).
select
    definitions.kpi_code,
    definitions.name,
    definitions.description,
    definitions.formula,
    definitions.unit,
    definitions.grains,
    definitions.finance_owner,
    definitions.sales_owner,
    definitions.version,
    definitions.agreed_on,
    definitions.status,
    definitions.dashboard_tiles
from marts.kpi_definitions as definitions
