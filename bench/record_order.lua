-- wrk script: recordOrder for customers listed in CRM_CUSTOMERS (a file
-- of cus_ IDs, one a line), each request a new externalId.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CRM_TOKEN")

local ids = {}
for line in io.lines(os.getenv("CRM_CUSTOMERS")) do ids[#ids + 1] = line end
local counter = 0
local thread_tag = tostring(math.random(1, 1e9))

function request()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  local body = '{"query":"mutation($c: ID!, $i: OrderInput!) { recordOrder(customerId: $c, input: $i) { id } }","variables":{"c":"'
    .. id .. '","i":{"externalId":"bench-' .. thread_tag .. '-' .. counter .. '","amount":"19.99","currency":"USD"}}}'
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"') then
    io.stderr:write("bad response: " .. status .. " " .. string.sub(body, 1, 200) .. "\n")
  end
end
