-- The KPI glossary: every agreed definition with its owners, version and agreement date.
select
    definitions.kpi_code,
    definitions.name,
    definitions.description,
    definitions.formula,
    definitions.unit,
    definitions.finance_owner,
    definitions.sales_owner,
    definitions.version,
    definitions.agreed_on,
    definitions.status,
    replace(definitions.grains, '|', ', ') as grains
from handshake.kpi_definitions as definitions
order by definitions.name
