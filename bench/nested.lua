-- wrk script: customers(first: 50) with every nested field (one statement
-- per level), segments included. Usage: see BENCHMARKS.md.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CRM_TOKEN")
wrk.body = [[{"query":"{ customers(first: 50) { nodes { id name email tags metrics { rfm { recencyScore frequencyScore monetaryScore segment } churnRisk averageOrderValue lifetimeValue } orders(first: 3) { totalCount nodes { id externalId amount status placedAt } } activity(first: 3) { nodes { id type title occurredAt } } notes(first: 3) { nodes { id body } } segments { id name } } } }"}]]

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"') then
    io.stderr:write("bad response: " .. status .. " " .. string.sub(body, 1, 200) .. "\n")
  end
end
