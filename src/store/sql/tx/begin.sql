-- Every statement of a transaction that hcwatch holds open runs between these.
BEGIN
