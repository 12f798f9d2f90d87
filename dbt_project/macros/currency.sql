{#- Currency conversion, defined once.

    rate_to_eur is the EUR value of one unit of a currency (EUR itself = 1).
    To convert an amount in currency C to the reporting currency R on date d:
        amount * rate_to_eur(C, d) / rate_to_eur(R, d)
    int_fx_rates_filled holds that factor per (currency, day) as
    rate_to_reporting; this macro applies it and rounds to the cent, line by
    line, the way a ledger books a foreign document in its own currency.
    The product is exact on every engine: 17 + 20 (+ 1) digits fit the 38 of
    a decimal, so neither DuckDB nor Spark rounds it before the cent (amounts
    below 10^11, factors below 10^8). -#}

{% macro reporting_currency() -%}
    '{{ var("reporting_currency") | upper | trim }}'
{%- endmacro %}

{% macro convert_to_reporting(amount, rate_to_reporting) -%}
    cast(
        round(cast({{ amount }} as decimal(17, 6)) * cast({{ rate_to_reporting }} as decimal(20, 12)), 2)
        as decimal(18, 2)
    )
{%- endmacro %}

{#- +1 for invoices, -1 for credit notes: credit-note amounts are written
    positive and reduce revenue (extract contract). -#}
{% macro document_sign(document_type) -%}
    case when {{ document_type }} = 'credit_note' then -1 else 1 end
{%- endmacro %}
