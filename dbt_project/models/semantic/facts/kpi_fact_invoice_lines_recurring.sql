-- Invoice lines again, for recurring revenue (macros/kpi/kpi_fact.sql): which
-- lines recur is read from the item master, so it needs the items too (without
-- them no line would be recurring: 0 where nothing is known).
{{ kpi_fact(
    'fct_invoice_lines', 'invoice_date', ['erp/invoices', 'erp/invoice_lines', 'erp/items'],
    account_source_objects=['erp/customers']
) }}
