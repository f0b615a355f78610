// The values the reports' pick-lists offer, read from the data: kinds of agency, agencies,
// event categories, event kinds and roles (lower case, as the queries compare them), local
// authorities and feeds. Each row is one `field` and one `value`; an agency's row has its
// kind in `of`, so that a kind can be named by an agency's name.
// @roles system
MATCH (g:`Agency`) WHERE g.kind IS NOT NULL
RETURN DISTINCT 'agency_kind' AS field, g.kind AS value, '' AS of
UNION
MATCH (g:`Agency`) WHERE g.name IS NOT NULL
RETURN DISTINCT 'agency' AS field, g.name AS value, g.kind AS of
UNION
MATCH (e:`Event`) WHERE e.category IS NOT NULL
RETURN DISTINCT 'category' AS field, e.category AS value, '' AS of
UNION
MATCH (e:`Event`) WHERE e.kind IS NOT NULL
RETURN DISTINCT 'event_kind' AS field, toLower(e.kind) AS value, '' AS of
UNION
MATCH (r:`Record`) WHERE r.role IS NOT NULL
RETURN DISTINCT 'event_kind' AS field, toLower(r.role) AS value, '' AS of
UNION
MATCH (la:`LocalAuthority`) WHERE la.name IS NOT NULL
RETURN DISTINCT 'local_authority' AS field, la.name AS value, '' AS of
UNION
MATCH (r:`Record`) WHERE r.feed IS NOT NULL
RETURN DISTINCT 'feed' AS field, r.feed AS value, '' AS of
