-- The price list a town starts from, kept apart from the prices it edits, so a deleted town's id
-- taken again starts from the defaults and not from the previous town's prices. Copied from the
-- default rows 0014 wrote (a town made before this migration keeps those it had not edited).
CREATE TABLE model_price_defaults AS
	SELECT model, input_per_mtok, output_per_mtok, cache_read_per_mtok, cache_write_per_mtok
	FROM model_prices WHERE updated_by = 'default';
