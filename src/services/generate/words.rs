//! The small word lists generated customers are made from. Emails use the reserved
//! `example.*` domains and phones the fictional 555-01xx range, so no real person is reached.

#[rustfmt::skip]
pub const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James",
    "Mia", "William", "Amelia", "Benjamin", "Harper", "Lucas", "Evelyn", "Henry", "Abigail",
    "Theodore", "Emily", "Jack", "Ella", "Levi", "Elizabeth", "Alexander", "Camila", "Jackson",
    "Luna", "Mateo", "Sofia", "Daniel", "Avery", "Michael", "Mila", "Mason", "Aria", "Sebastian",
    "Scarlett", "Ethan", "Penelope", "Logan", "Layla", "Owen", "Chloe", "Samuel", "Victoria",
    "Jacob", "Madison", "Asher", "Eleanor", "Aiden", "Grace", "John", "Nora", "Joseph", "Riley",
    "Wyatt", "Zoey", "David", "Hannah", "Leo", "Hazel", "Luke", "Lily", "Julian", "Ellie",
    "Hudson", "Violet", "Grayson", "Lillian", "Matthew", "Zoe", "Ezra", "Stella", "Gabriel",
    "Aurora", "Carter", "Natalie", "Isaac", "Emilia", "Jayden", "Everly", "Luca", "Leah",
    "Anthony", "Aubrey", "Dylan", "Willow", "Lincoln", "Addison", "Thomas", "Lucy", "Maverick",
    "Audrey", "Elias", "Bella", "Josiah", "Nova", "Charles", "Brooklyn", "Caleb", "Paisley",
    "Christopher", "Savannah", "Ezekiel", "Claire", "Miles", "Skylar", "Jaxon", "Isla", "Isaiah",
    "Genesis", "Andrew", "Naomi", "Joshua", "Elena", "Nathan", "Caroline", "Nolan", "Eliana",
    "Adrian", "Anna", "Cameron", "Maya", "Santiago", "Valentina", "Eli", "Ruby", "Aaron",
    "Kennedy", "Ryan", "Ivy", "Angel", "Ariana", "Cooper", "Aaliyah", "Waylon", "Cora", "Jordan",
    "Madelyn", "Kai", "Alice", "Easton", "Kinsley", "Roman", "Hailey", "Colton", "Gabriella",
    "Priya", "Wei", "Fatima", "Hiroshi", "Ana", "Kwame", "Ingrid", "Rahul", "Chen", "Amara",
    "Diego", "Yuki", "Omar", "Zainab",
];

#[rustfmt::skip]
pub const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
    "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy",
    "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed",
    "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez",
    "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell",
    "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton",
    "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant",
    "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford",
    "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods", "Washington",
    "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns",
    "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw",
    "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black",
    "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice",
    "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens", "Soto", "Weaver", "Ryan",
    "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins", "Arnold", "Pierce",
    "Vazquez", "Hansen", "Peters", "Santos", "Hart", "Bradley", "Knight", "Elliott", "Cunningham",
    "Duncan", "Armstrong", "Hudson", "Carroll", "Lane", "Riley", "Andrews", "Alvarado", "Ray",
    "Delgado", "Berry", "Perkins", "Hoffman", "Johnston", "Matthews", "Pena", "Richards",
    "Contreras", "Willis", "Carpenter", "Lawrence", "Sandoval", "Okafor", "Tanaka", "Kowalski",
    "Novak", "Haddad", "Singh",
];

pub const EMAIL_DOMAINS: &[&str] = &["example.com", "example.net", "example.org"];

#[rustfmt::skip]
pub const STREETS: &[&str] = &[
    "Maple", "Oak", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park", "Main", "Church",
    "Spring", "Ridge", "Highland", "Sunset", "Willow", "Chestnut", "Walnut", "Jackson", "Lincoln",
    "Madison", "Franklin", "Meadow", "River", "Forest", "Valley", "Mill", "Harbor", "Orchard",
    "Prospect", "Jefferson", "Birch", "Cherry", "Dogwood", "Magnolia", "Aspen",
];

#[rustfmt::skip]
pub const STREET_KINDS: &[&str] = &[
    "St", "Ave", "Rd", "Ln", "Dr", "Ct", "Blvd", "Way", "Pl", "Ter",
];

pub const UNITS: &[&str] = &["Apt", "Unit", "Suite", "#"];

/// (city, state, first three digits of its ZIP codes, telephone area code).
pub const CITIES: &[(&str, &str, u32, u32)] = &[
    ("New York", "NY", 100, 212),
    ("Brooklyn", "NY", 112, 718),
    ("Los Angeles", "CA", 900, 213),
    ("San Diego", "CA", 921, 619),
    ("San Jose", "CA", 951, 408),
    ("San Francisco", "CA", 941, 415),
    ("Chicago", "IL", 606, 312),
    ("Houston", "TX", 770, 713),
    ("Dallas", "TX", 752, 214),
    ("Austin", "TX", 787, 512),
    ("San Antonio", "TX", 782, 210),
    ("Phoenix", "AZ", 850, 602),
    ("Philadelphia", "PA", 191, 215),
    ("Pittsburgh", "PA", 152, 412),
    ("Jacksonville", "FL", 322, 904),
    ("Miami", "FL", 331, 305),
    ("Tampa", "FL", 336, 813),
    ("Columbus", "OH", 432, 614),
    ("Cleveland", "OH", 441, 216),
    ("Indianapolis", "IN", 462, 317),
    ("Charlotte", "NC", 282, 704),
    ("Raleigh", "NC", 276, 919),
    ("Seattle", "WA", 981, 206),
    ("Denver", "CO", 802, 303),
    ("Boston", "MA", 21, 617),
    ("Nashville", "TN", 372, 615),
    ("Memphis", "TN", 381, 901),
    ("Detroit", "MI", 482, 313),
    ("Portland", "OR", 972, 503),
    ("Las Vegas", "NV", 891, 702),
    ("Louisville", "KY", 402, 502),
    ("Baltimore", "MD", 212, 410),
    ("Milwaukee", "WI", 532, 414),
    ("Albuquerque", "NM", 871, 505),
    ("Atlanta", "GA", 303, 404),
    ("Minneapolis", "MN", 554, 612),
    ("Kansas City", "MO", 641, 816),
    ("Omaha", "NE", 681, 402),
    ("Salt Lake City", "UT", 841, 801),
    ("Richmond", "VA", 232, 804),
];

#[rustfmt::skip]
pub const CANCEL_REASONS: &[&str] = &[
    "Customer asked to cancel", "Too much product", "Found a cheaper option", "Moving abroad",
    "Did not see results",
];

#[rustfmt::skip]
pub const BLACKLIST_REASONS: &[&str] = &[
    "Chargeback filed", "Fraud reported by the cardholder", "Abusive to support",
];
