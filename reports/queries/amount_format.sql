-- How amounts in the reporting currency are shown: Evidence's format for the
-- currency where it has one (eur0, usd0, ...), else the code after the number.
select
    currencies.currency_code as reporting_currency,
    case
        when
            lower(currencies.currency_code) in (
                'aud', 'brl', 'cad', 'cny', 'eur', 'gbp', 'inr', 'jpy', 'krw', 'ngn', 'rub', 'sek', 'usd'
            )
            then lower(currencies.currency_code) || '0'
        else '#,##0 "' || currencies.currency_code || '"'
    end as amount_fmt
from handshake.dim_currency as currencies
where currencies.is_reporting_currency
